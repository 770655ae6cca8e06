"""Doing a merge (`users_merge`): every row the other accounts own moves to the primary,
journaled first (one INSERT ... SELECT per table, then one UPDATE); each conflict's loser is
set aside whole in the journal; the other accounts become deleted and cannot sign in."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from enrollments.models import Certificate, Enrollment
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import batched, insert_history_rows
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
from users.services.common import _end_sessions
from users.services.merging.journal import _snapshot
from users.services.merging.plan import merge_plan


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
