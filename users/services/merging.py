"""Merging duplicate accounts into the primary one the admin chose, and undoing it.

`merge_plan` says, before anything changes, what moves and who wins each conflict; the
preview page shows it and `users_merge` carries it out. Every moved row is journaled
(MergeJournalEntry: which row, from whom, and, for a conflict's loser, all of it), so
`merge_undo` puts each row back exactly, at any time. Moves are set-based: one UPDATE per
table, with the journal written by INSERT ... SELECT before it.

A conflict: two of the accounts in the same section with the same role. The enrolment that
wins stays (or moves to the primary); the other is set aside: removed from the table, kept
whole in the journal, its certificates moved to the winner. Two memberships of one segment:
the primary's (or the oldest) stays, the other is set aside the same way.

Merged-away accounts become deleted and cannot sign in; their usernames may be kept as
extra sign-in names of the primary (SignInName, read by users.auth).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from enrollments.models import Certificate, Enrollment, EnrollmentState
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import batched, insert_history_rows
from lms_admin.plumbing.scoping import manage_refusal
from users.models import (
    AccessToken,
    Merge,
    MergeAccount,
    MergeJournalEntry,
    MergeJournalKind,
    SegmentMembership,
    SignInName,
    User,
    UserStatus,
)
from users.services.common import _end_sessions, _label

# completed > active > inactive > invited > deleted (issue 17), then the latest activity.
STATE_RANK = {
    EnrollmentState.COMPLETED: 4,
    EnrollmentState.ACTIVE: 3,
    EnrollmentState.INACTIVE: 2,
    EnrollmentState.INVITED: 1,
    EnrollmentState.DELETED: 0,
}

# For erasure (user_anonymise): the merge journal keeps copies of a person's rows. Each
# entry: (model, field, what it holds). `before` holds whole enrolment and membership rows
# (user id, dates, score); an erasure must scrub or delete the journal entries whose
# from_user is the person, and the MergeAccount rows of the person (their old password
# hash), and the SignInName rows (their former usernames). See `merge_journal_of`.
PERSONAL_DATA_IN_MERGE_JOURNAL = (
    (MergeJournalEntry, "before", "copies of the person's enrolment and membership rows"),
    (MergeJournalEntry, "from_user", "whose row it was"),
    (MergeAccount, "password_before", "the merged-away account's password hash"),
    (SignInName, "name", "a former username, kept as an extra sign-in name"),
)


def merge_journal_of(user_id: int) -> dict[str, models.QuerySet]:
    """Every merge record holding a copy of this person's data, for erasure to scrub."""
    return {
        "journal": MergeJournalEntry.objects.filter(from_user_id=user_id),
        "accounts": MergeAccount.objects.filter(user_id=user_id),
        "sign_in_names": SignInName.objects.filter(user_id=user_id),
    }


# The plan ---------------------------------------------------------------------------------


@dataclass
class Conflict:
    """Two or more of the accounts in one section with one role: who wins, who is set aside."""

    winner: Enrollment
    losers: list[Enrollment]

    @property
    def why(self) -> str:
        loser = self.losers[0]
        if STATE_RANK[self.winner.state] != STATE_RANK[loser.state]:
            return f"{self.winner.get_state_display()} beats {loser.get_state_display()}"
        if self.winner.last_activity_at != loser.last_activity_at:
            return "same state; more recent activity"
        return "same state and activity; the primary account's is kept"


@dataclass
class MergePlan:
    primary: User
    others: list[User]
    moving: dict[int, dict[str, int]]  # per other account: kind -> count
    conflicts: list[Conflict]
    duplicate_memberships: list[SegmentMembership]
    enrollments: list[Enrollment] = field(default_factory=list)  # what moves, for the page

    @property
    def total_moving(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.moving.values())


def merge_refusal(*, primary: User, others: list[User], by) -> str | None:
    """Why these accounts cannot be merged, in plain words; None when they can."""
    if not others:
        return "Choose at least one other account to merge into the primary one."
    ids = [other.pk for other in others]
    if primary.pk in ids:
        return f"{_label(primary)} cannot be merged into itself; choose another primary."
    if len(set(ids)) != len(ids):
        return "An account is listed twice."
    for account in [primary, *others]:
        if account.anonymised_at is not None:
            return (
                f"{account.username} was anonymised on {account.anonymised_at:%d %b %Y}; "
                "an anonymised account cannot be merged."
            )
        if account.status == UserStatus.DELETED:
            return (
                f"{account.username} is deleted (or was merged into another account); "
                "undelete them first, or leave them out."
            )
        refusal = manage_refusal(by, account) if by is not None else None
        if refusal:
            return refusal
    for account in others:
        policy_owner = next(
            (
                person.organisation
                for person in (primary, account)
                if person.organisation is not None
                and person.organisation.forbid_merging_sis_with_self_registered
            ),
            None,
        )
        if policy_owner and bool(primary.sis_user_id) != bool(account.sis_user_id):
            sis, own = (primary, account) if primary.sis_user_id else (account, primary)
            return (
                f"{policy_owner.name} does not allow merging an SIS account ({sis.username}) "
                f"with a self-registered one ({own.username})."
            )
    return None


def _winner_key(enrollment: Enrollment, primary_id: int):
    activity = enrollment.last_activity_at
    return (
        STATE_RANK.get(enrollment.state, -1),
        activity is not None,
        activity.timestamp() if activity else 0,
        enrollment.user_id == primary_id,
        -enrollment.pk,
    )


def merge_plan(*, primary: User, others: list[User], by) -> MergePlan:
    """What a merge would do, read-only: counts of what moves and every conflict's winner.
    Raises DomainError (NotPermitted for scope) when the merge is not allowed."""
    refusal = merge_refusal(primary=primary, others=others, by=by)
    if refusal:
        error = NotPermitted if by is not None and _out_of_scope(by, [primary, *others]) else None
        raise (error or DomainError)(refusal)
    ids = [primary.pk, *(other.pk for other in others)]
    other_ids = ids[1:]
    contested = (
        Enrollment.objects.filter(user_id__in=ids)
        .values("section_id", "type")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    keys = {(row["section_id"], row["type"]) for row in contested}
    groups = defaultdict(list)
    if keys:
        rows = Enrollment.objects.filter(
            user_id__in=ids, section_id__in={section for section, _ in keys}
        ).select_related("course", "section", "user")
        for row in rows:
            if (row.section_id, row.type) in keys:
                groups[(row.section_id, row.type)].append(row)
    conflicts = []
    for rows in groups.values():
        ranked = sorted(rows, key=lambda row: _winner_key(row, primary.pk), reverse=True)
        conflicts.append(Conflict(winner=ranked[0], losers=ranked[1:]))
    conflicts.sort(key=lambda conflict: (conflict.winner.course.code, conflict.winner.pk))
    duplicate_memberships = _duplicate_memberships(primary.pk, ids)
    losing = {loser.pk for conflict in conflicts for loser in conflict.losers}
    set_aside_memberships = {membership.pk for membership in duplicate_memberships}
    moving = {}
    for other in others:
        enrollments = Enrollment.objects.filter(user_id=other.pk).exclude(pk__in=losing)
        moving[other.pk] = {
            "enrolments": enrollments.count(),
            "certificates": Certificate.objects.filter(enrollment__user_id=other.pk).count(),
            "segment memberships": SegmentMembership.objects.filter(user_id=other.pk)
            .exclude(pk__in=set_aside_memberships)
            .count(),
            "API tokens": AccessToken.objects.filter(user_id=other.pk).count(),
            "deletion marks cleared": int(other.marked_for_deletion_at is not None),
        }
    shown = list(
        Enrollment.objects.filter(user_id__in=other_ids)
        .exclude(pk__in=losing)
        .select_related("course", "section", "user")
        .order_by("user_id", "course__code", "id")[:200]
    )
    return MergePlan(
        primary=primary,
        others=list(others),
        moving=moving,
        conflicts=conflicts,
        duplicate_memberships=duplicate_memberships,
        enrollments=shown,
    )


def _out_of_scope(by, accounts) -> bool:
    return any(manage_refusal(by, account) for account in accounts)


def _duplicate_memberships(primary_id: int, ids: list[int]) -> list[SegmentMembership]:
    """Memberships of a segment that another of the accounts is in already: the primary's
    (or else the oldest) stays, these are set aside."""
    rows = (
        SegmentMembership.objects.filter(user_id__in=ids)
        .select_related("segment", "user")
        .order_by("segment_id", "id")
    )
    by_segment = defaultdict(list)
    for row in rows:
        by_segment[row.segment_id].append(row)
    set_aside = []
    for rows in by_segment.values():
        if len(rows) < 2:
            continue
        kept = next((row for row in rows if row.user_id == primary_id), rows[0])
        set_aside += [row for row in rows if row.pk != kept.pk]
    return set_aside


# Doing it ---------------------------------------------------------------------------------


class _ExactEncoder(DjangoJSONEncoder):
    """Datetimes to the microsecond (Django's encoder stops at the millisecond)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _snapshot(instance: models.Model) -> dict:
    """Every column of a row, JSON-ready, to put it back exactly as it was."""
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=_ExactEncoder))


def _restored(model: type[models.Model], data: dict) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return model(**{name: fields[name].to_python(value) for name, value in data.items()})


def _raw_delete(model: type[models.Model], ids: list[int]) -> None:
    """Remove rows without the per-object signals (their history rows are written here,
    with actor and reason)."""
    for batch in batched(ids):
        model.objects.filter(pk__in=batch)._raw_delete(connection.alias)


def _journal_moves(merge: Merge, model, kind: str, user_ids: list[int]) -> list[int]:
    """Journal every row of `model` owned by `user_ids` (one INSERT ... SELECT), move them
    to the primary (one UPDATE), and write their history; returns their ids."""
    quote = connection.ops.quote_name
    journal = quote(MergeJournalEntry._meta.db_table)
    table = quote(model._meta.db_table)
    placeholders = ", ".join(["%s"] * len(user_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {journal} (merge_id, kind, row_id, from_user_id) "
            f"SELECT %s, %s, id, user_id FROM {table} WHERE user_id IN ({placeholders})",
            [merge.pk, kind, *user_ids],
        )
    moved = list(
        MergeJournalEntry.objects.filter(merge=merge, kind=kind).values_list("row_id", flat=True)
    )
    model.objects.filter(user_id__in=user_ids).update(user_id=merge.primary_id)
    return moved


def _lock_accounts(ids: list[int]) -> dict[int, User]:
    return {
        user.pk: user
        for user in User.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=ids)
        .order_by("pk")
    }


@transaction.atomic
def users_merge(
    *, primary: User, others: list[User], by, reason: str, keep_sign_in_names: bool = False
) -> Merge:
    """Merge `others` into `primary`: everything they own moves to it, conflicts are settled
    as `merge_plan` says, and they can no longer sign in. Journaled for `merge_undo`."""
    if not (reason or "").strip():
        raise DomainError("Give a reason for the merge; it is kept in the history.")
    locked = _lock_accounts([primary.pk, *(other.pk for other in others)])
    if primary.pk not in locked or len(locked) != len({primary.pk, *(o.pk for o in others)}):
        raise DomainError("One of the accounts no longer exists.")
    plan = merge_plan(primary=locked[primary.pk], others=[locked[o.pk] for o in others], by=by)
    now = timezone.now()
    other_ids = [other.pk for other in others]
    merge = Merge(primary_id=primary.pk, created_by=by, reason=reason, created_at=now)
    merge.kept_sign_in_names = keep_sign_in_names
    merge._history_user, merge._change_reason = by, reason
    merge.save()
    journal = []
    with figures.people_changing([primary.pk, *other_ids], now=now):
        losers = [loser for conflict in plan.conflicts for loser in conflict.losers]
        winner_of = {
            loser.pk: conflict.winner.pk for conflict in plan.conflicts for loser in conflict.losers
        }
        owner_of = {loser.pk: loser.user_id for loser in losers}
        certificates = Certificate.objects.filter(enrollment_id__in=winner_of)
        journal += [
            MergeJournalEntry(
                merge=merge,
                kind=MergeJournalKind.CERTIFICATE_MOVED,
                row_id=certificate_id,
                from_user_id=owner_of[enrollment_id],
                related_id=enrollment_id,
            )
            for certificate_id, enrollment_id in certificates.values_list("id", "enrollment_id")
        ]
        journal += [
            MergeJournalEntry(
                merge=merge,
                kind=MergeJournalKind.ENROLMENT_SET_ASIDE,
                row_id=loser.pk,
                from_user_id=loser.user_id,
                related_id=winner_of[loser.pk],
                before=_snapshot(loser),
            )
            for loser in losers
        ]
        journal += [
            MergeJournalEntry(
                merge=merge,
                kind=MergeJournalKind.MEMBERSHIP_SET_ASIDE,
                row_id=membership.pk,
                from_user_id=membership.user_id,
                before=_snapshot(membership),
            )
            for membership in plan.duplicate_memberships
        ]
        MergeJournalEntry.objects.bulk_create(journal, batch_size=1000)
        _certificates_to_winners(merge)
        insert_history_rows(
            Certificate,
            [e.row_id for e in journal if e.kind == MergeJournalKind.CERTIFICATE_MOVED],
            by=by,
            reason=reason,
            when=now,
        )
        loser_ids = [loser.pk for loser in losers]
        membership_ids = [membership.pk for membership in plan.duplicate_memberships]
        insert_history_rows(Enrollment, loser_ids, by=by, reason=reason, history_type="-", when=now)
        insert_history_rows(
            SegmentMembership, membership_ids, by=by, reason=reason, history_type="-", when=now
        )
        _raw_delete(Enrollment, loser_ids)
        _raw_delete(SegmentMembership, membership_ids)
        for model, kind in (
            (Enrollment, MergeJournalKind.ENROLMENT_MOVED),
            (SegmentMembership, MergeJournalKind.MEMBERSHIP_MOVED),
            (AccessToken, MergeJournalKind.TOKEN_MOVED),
        ):
            moved = _journal_moves(merge, model, kind, other_ids)
            for batch in batched(moved):
                insert_history_rows(model, batch, by=by, reason=reason, when=now)
        _merge_away_accounts(merge, [locked[pk] for pk in other_ids], by=by, reason=reason, now=now)
    if keep_sign_in_names:
        _keep_sign_in_names(merge, [locked[pk] for pk in other_ids], by=by, reason=reason)
    _end_sessions(other_ids)
    return merge


def _certificates_to_winners(merge: Merge) -> None:
    """One UPDATE: each certificate of a set-aside enrolment now belongs to the winner."""
    quote = connection.ops.quote_name
    journal = quote(MergeJournalEntry._meta.db_table)
    table = quote(Certificate._meta.db_table)
    kind = MergeJournalKind.ENROLMENT_SET_ASIDE
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET enrollment_id = (SELECT j.related_id FROM {journal} j "
            f"WHERE j.merge_id = %s AND j.kind = %s AND j.row_id = {table}.enrollment_id) "
            f"WHERE enrollment_id IN (SELECT row_id FROM {journal} "
            f"WHERE merge_id = %s AND kind = %s)",
            [merge.pk, kind, merge.pk, kind],
        )


def _merge_away_accounts(merge: Merge, accounts: list[User], *, by, reason, now) -> None:
    MergeAccount.objects.bulk_create(
        MergeAccount(
            merge=merge,
            user=account,
            status_before=account.status,
            status_before_delete_before=account.status_before_delete,
            status_changed_at_before=account.status_changed_at,
            password_before=account.password,
            marked_for_deletion_at_before=account.marked_for_deletion_at,
            marked_for_deletion_by_before_id=account.marked_for_deletion_by_id,
        )
        for account in accounts
    )
    ids = [account.pk for account in accounts]
    User.objects.filter(pk__in=ids).update(
        status_before_delete=models.F("status"),
        status=UserStatus.DELETED,
        status_changed_at=now,
        password=make_password(None),
        marked_for_deletion_at=None,
        marked_for_deletion_by=None,
    )
    insert_history_rows(User, ids, by=by, reason=reason, when=now)


def _keep_sign_in_names(merge: Merge, accounts: list[User], *, by, reason) -> None:
    taken = set(
        SignInName.objects.filter(name__in=[a.username for a in accounts]).values_list(
            "name", flat=True
        )
    )
    for account in accounts:
        if account.username in taken:
            continue
        name = SignInName(user_id=merge.primary_id, name=account.username, merge=merge)
        name._history_user, name._change_reason = by, reason
        name.save()


# Undoing it -------------------------------------------------------------------------------


@dataclass
class UndoItem:
    what: str
    row_id: int
    to_user: str
    outcome: str


@dataclass
class UndoReport:
    merge: Merge
    accounts: list[User] = field(default_factory=list)
    items: list[UndoItem] = field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(1 for item in self.items if item.what == what and item.outcome == "restored")


def _refuse_undo(merge: Merge, accounts: list[User], primary: User, by) -> None:
    if merge.undone_at is not None:
        raise DomainError(
            f"This merge was already undone on {timezone.localtime(merge.undone_at):%d %b %Y}."
        )
    for account in [primary, *accounts]:
        if account.anonymised_at is not None:
            raise DomainError(
                f"{account.username} was anonymised on {account.anonymised_at:%d %b %Y}, so "
                "their records cannot be given back. Nothing was changed."
            )
        refusal = manage_refusal(by, account) if by is not None else None
        if refusal:
            raise NotPermitted(refusal)
    later = (
        MergeAccount.objects.filter(user_id=primary.pk, merge__undone_at__isnull=True)
        .select_related("merge")
        .first()
    )
    if later is not None:
        raise DomainError(
            f"{primary.username} was itself merged into another account since (merge "
            f"{later.merge_id}); undo that merge first. Nothing was changed."
        )


@transaction.atomic
def merge_undo(merge: Merge, *, by, reason: str) -> UndoReport:
    """Give each merged-away account back exactly what came from it, conflicts' losers
    included, and its way of signing in; what the primary gained since stays with it."""
    if not (reason or "").strip():
        raise DomainError("Give a reason for undoing the merge; it is kept in the history.")
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    entries = list(merge.accounts.all())
    locked = _lock_accounts([merge.primary_id, *(entry.user_id for entry in entries)])
    primary = locked[merge.primary_id]
    _refuse_undo(merge, [locked[entry.user_id] for entry in entries], primary, by)
    now = timezone.now()
    report = UndoReport(merge=merge)
    try:
        with transaction.atomic(), figures.people_changing(sorted(locked), now=now):
            _restore_accounts(entries, by=by, reason=reason, now=now)
            for model, kind, what in (
                (Enrollment, MergeJournalKind.ENROLMENT_MOVED, "enrolment"),
                (SegmentMembership, MergeJournalKind.MEMBERSHIP_MOVED, "segment membership"),
                (AccessToken, MergeJournalKind.TOKEN_MOVED, "API token"),
            ):
                report.items += _move_back(merge, model, kind, what, locked, by, reason, now)
            for model, kind, what in (
                (Enrollment, MergeJournalKind.ENROLMENT_SET_ASIDE, "enrolment (set aside)"),
                (
                    SegmentMembership,
                    MergeJournalKind.MEMBERSHIP_SET_ASIDE,
                    "segment membership (set aside)",
                ),
            ):
                report.items += _put_back(merge, model, kind, what, locked, by, reason, now)
            report.items += _certificates_back(merge, locked, by, reason, now)
    except IntegrityError as error:
        raise DomainError(
            "The merge cannot be undone: one of the merged-away accounts has since been "
            "given an enrolment or membership that clashes with one coming back. "
            "Nothing was changed."
        ) from error
    for name in SignInName.objects.filter(merge=merge):
        name._history_user, name._change_reason = by, reason
        name.delete()
    merge.undone_at, merge.undone_by, merge.undo_reason = now, by, reason
    merge._history_user, merge._change_reason = by, reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    report.accounts = list(
        User.objects.filter(pk__in=[entry.user_id for entry in entries]).order_by("pk")
    )
    return report


def _restore_accounts(entries: list[MergeAccount], *, by, reason, now) -> None:
    for entry in entries:  # a handful of accounts per merge, one UPDATE each
        User.objects.filter(pk=entry.user_id).update(
            status=entry.status_before,
            status_before_delete=entry.status_before_delete_before,
            status_changed_at=entry.status_changed_at_before,
            password=entry.password_before,
            marked_for_deletion_at=entry.marked_for_deletion_at_before,
            marked_for_deletion_by=entry.marked_for_deletion_by_before_id,
        )
    insert_history_rows(User, [entry.user_id for entry in entries], by=by, reason=reason, when=now)


def _move_back(merge, model, kind, what, locked, by, reason, now) -> list[UndoItem]:
    """One UPDATE: each journaled row still with the primary goes back to its owner."""
    quote = connection.ops.quote_name
    journal = quote(MergeJournalEntry._meta.db_table)
    table = quote(model._meta.db_table)
    rows = dict(
        MergeJournalEntry.objects.filter(merge=merge, kind=kind).values_list(
            "row_id", "from_user_id"
        )
    )
    still_there = set(
        model.objects.filter(pk__in=rows, user_id=merge.primary_id).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET user_id = (SELECT j.from_user_id FROM {journal} j "
            f"WHERE j.merge_id = %s AND j.kind = %s AND j.row_id = {table}.id) "
            f"WHERE user_id = %s AND id IN (SELECT row_id FROM {journal} "
            f"WHERE merge_id = %s AND kind = %s)",
            [merge.pk, kind, merge.primary_id, merge.pk, kind],
        )
    for batch in batched(sorted(still_there)):
        insert_history_rows(model, batch, by=by, reason=reason, when=now)
    return [
        UndoItem(
            what=what,
            row_id=row_id,
            to_user=locked[owner].username,
            outcome="restored" if row_id in still_there else "no longer exists; nothing to restore",
        )
        for row_id, owner in sorted(rows.items())
    ]


def _put_back(merge, model, kind, what, locked, by, reason, now) -> list[UndoItem]:
    """Rows set aside, inserted again with their own ids, exactly as they were."""
    entries = list(MergeJournalEntry.objects.filter(merge=merge, kind=kind).order_by("row_id"))
    model.objects.bulk_create([_restored(model, entry.before) for entry in entries])
    ids = [entry.row_id for entry in entries]
    insert_history_rows(model, ids, by=by, reason=reason, history_type="+", when=now)
    return [
        UndoItem(what, entry.row_id, locked[entry.from_user_id].username, "restored")
        for entry in entries
    ]


def _certificates_back(merge, locked, by, reason, now) -> list[UndoItem]:
    entries = list(
        MergeJournalEntry.objects.filter(merge=merge, kind=MergeJournalKind.CERTIFICATE_MOVED)
    )
    by_enrollment = defaultdict(list)
    for entry in entries:
        by_enrollment[entry.related_id].append(entry.row_id)
    for enrollment_id, certificate_ids in by_enrollment.items():
        Certificate.objects.filter(pk__in=certificate_ids).update(enrollment_id=enrollment_id)
    insert_history_rows(Certificate, [e.row_id for e in entries], by=by, reason=reason, when=now)
    return [
        UndoItem("certificate", entry.row_id, locked[entry.from_user_id].username, "restored")
        for entry in entries
    ]
