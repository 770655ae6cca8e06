"""Undoing a merge (`merge_undo`), at any time: each merged-away account gets back exactly
what came from it (moved rows, conflicts' losers, certificates) and its way of signing in;
what the primary gained since stays with it. Returns a report, item by item."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from enrollments.models import Certificate, Enrollment
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
)
from users.services.merging.journal import _restored
from users.services.merging.merge import _lock_accounts


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
