"""The user lifecycle: the only door through which a user's status changes.

Every function here is atomic, locks the rows it changes, returns early when nothing
changes, writes one history row per changed object with actor and reason, and defers mail
to after commit. Bulk forms take a queryset and work in set-based batches.

Deactivation never touches enrolments; deletion remembers each enrolment's state so that
undeletion restores every one of them exactly.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from enrollments import services as enrollment_services
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import (
    batched,
    changed_fields,
    id_list_batch_size,
    insert_history_rows,
    save_with_history,
)
from lms_admin.plumbing.lookups import id_list_condition
from users.models import (
    Organisation,
    User,
    UserStatus,
)
from users.services.accounts import user_update
from users.services.common import (
    PROFILE_FIELDS,
    BulkOutcome,
    Credentials,
    _copy_fields,
    _end_sessions,
    _issue_credentials,
    _label,
    _last_training_admins_error,
    _lock_to_change,
    _refuse_merged_away,
    _refuse_removing_last_training_admins,
    _refuse_unless_may_manage_all,
    _training_admin_ids,
    _training_admins,
)

# Deactivate and reactivate --------------------------------------------------------------


@transaction.atomic
def user_deactivate(
    user: User,
    *,
    by,
    reason: str,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> User:
    """Inactive: no sign-in, sessions ended, password void; enrolments exactly as they were."""
    locked = _lock_to_change(
        user, by=by, expected_version=expected_version, expected_status=expected_status
    )
    if locked.status == UserStatus.INACTIVE:
        return locked
    if locked.status == UserStatus.DELETED:
        raise DomainError(f"{_label(locked)} is deleted. Undelete them first.")
    _refuse_removing_last_training_admins([locked.pk])
    locked.status = UserStatus.INACTIVE
    locked.status_changed_at = timezone.now()
    locked.password_while_inactive = locked.password
    locked.set_unusable_password()
    fields = ["status", "status_changed_at", "password", "password_while_inactive"]
    with figures.people_changing([locked.pk], now=locked.status_changed_at):
        save_with_history(locked, fields, by=by, reason=reason)
    _end_sessions([locked.pk])
    _copy_fields(user, locked, fields)
    return locked


@transaction.atomic
def user_reactivate(
    user: User,
    *,
    by,
    reason: str,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> Credentials:
    """Active again, with every enrolment as it was, and a new way to sign in."""
    locked = _lock_to_change(
        user, by=by, expected_version=expected_version, expected_status=expected_status
    )
    if locked.status == UserStatus.DELETED:
        _refuse_merged_away([locked.pk], by)
        raise DomainError(f"{_label(locked)} is deleted. Undelete them instead of reactivating.")
    if locked.status == UserStatus.ACTIVE:
        return Credentials(user=locked)
    locked.status = UserStatus.ACTIVE
    locked.status_changed_at = timezone.now()
    credentials, fields = _issue_credentials(locked)
    with figures.people_changing([locked.pk], now=locked.status_changed_at):
        save_with_history(locked, ["status", "status_changed_at", *fields], by=by, reason=reason)
    _copy_fields(user, locked, ["status", "status_changed_at", *fields])
    return credentials


@transaction.atomic
def user_reset_password(
    user: User,
    *,
    by,
    reason: str,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> Credentials:
    """A new way in for an active user: a reset link by email, or a temporary password."""
    locked = _lock_to_change(
        user, by=by, expected_version=expected_version, expected_status=expected_status
    )
    if locked.status != UserStatus.ACTIVE:
        raise DomainError(
            f"{_label(locked)} is {locked.get_status_display().lower()}; "
            "reactivate them instead, which resets the password too."
        )
    credentials, fields = _issue_credentials(locked)
    save_with_history(locked, fields, by=by, reason=reason)
    _end_sessions([locked.pk])
    _copy_fields(user, locked, fields)
    return credentials


# Delete and undelete --------------------------------------------------------------------


@transaction.atomic
def user_delete(
    user: User,
    *,
    by,
    reason: str,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> User:
    """Deleted: each enrolment's state is kept in state_before_delete, then set "deleted"."""
    locked = _lock_to_change(
        user, by=by, expected_version=expected_version, expected_status=expected_status
    )
    if locked.status == UserStatus.DELETED:
        return locked
    if locked.pk == getattr(by, "pk", None):
        raise DomainError("You cannot delete your own account.")
    _refuse_removing_last_training_admins([locked.pk])
    locked.status_before_delete = locked.status
    locked.status = UserStatus.DELETED
    locked.status_changed_at = timezone.now()
    locked.set_unusable_password()
    locked.password_while_inactive = ""
    # A deletion candidate that is deleted is no longer a candidate.
    locked.marked_for_deletion_at = None
    locked.marked_for_deletion_by = None
    fields = [
        "status",
        "status_before_delete",
        "status_changed_at",
        "password",
        "password_while_inactive",
        "marked_for_deletion_at",
        "marked_for_deletion_by",
    ]
    with figures.people_changing([locked.pk], now=locked.status_changed_at):
        save_with_history(locked, fields, by=by, reason=reason)
        enrollment_services.enrollments_delete_for_users([locked.pk], by=by, reason=reason)
    _end_sessions([locked.pk])
    _copy_fields(user, locked, fields)
    return locked


@transaction.atomic
def user_undelete(
    user: User,
    *,
    by,
    reason: str,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> Credentials:
    """Back to the status before deletion, and every enrolment back to its exact state."""
    locked = _lock_to_change(
        user, by=by, expected_version=expected_version, expected_status=expected_status
    )
    if locked.status != UserStatus.DELETED:
        return Credentials(user=locked)
    _refuse_merged_away([locked.pk], by)
    locked.status = locked.status_before_delete or UserStatus.INACTIVE
    locked.status_before_delete = ""
    locked.status_changed_at = timezone.now()
    fields = ["status", "status_before_delete", "status_changed_at"]
    credentials = Credentials(user=locked)
    if locked.status == UserStatus.ACTIVE:
        credentials, credential_fields = _issue_credentials(locked)
        fields += credential_fields
    with figures.people_changing([locked.pk], now=locked.status_changed_at):
        save_with_history(locked, fields, by=by, reason=reason)
        enrollment_services.enrollments_undelete_for_users([locked.pk], by=by, reason=reason)
    _copy_fields(user, locked, fields)
    return credentials


# Reverting a change ---------------------------------------------------------------------

REVERT_STATUS = {
    (UserStatus.ACTIVE, UserStatus.INACTIVE): "reactivate",
    (UserStatus.INACTIVE, UserStatus.ACTIVE): "deactivate",
    (UserStatus.ACTIVE, UserStatus.DELETED): "undelete",
    (UserStatus.INACTIVE, UserStatus.DELETED): "undelete",
    (UserStatus.DELETED, UserStatus.ACTIVE): "delete",
    (UserStatus.DELETED, UserStatus.INACTIVE): "delete",
}


def _refuse_reverting_what_changed_again(locked: User, record, changed: set[str]) -> None:
    """A revert puts back fields as they were before `record`; if any of them has changed
    again since, putting it back would silently undo that later change too."""
    for name in sorted(changed & {*PROFILE_FIELDS, "is_staff", "is_superuser"}):
        attname = User._meta.get_field(name).attname
        if getattr(locked, attname) != getattr(record, attname):
            label = str(User._meta.get_field(name).verbose_name)
            now = getattr(locked, name)
            raise DomainError(
                f"The {label} has changed again since then (it is now {now or 'empty'}). "
                "Nothing was reverted; change it directly instead."
            )


@transaction.atomic
def user_revert_change(user: User, history_id: int, *, by, reason: str) -> Credentials:
    """Undo one recorded change: profile fields go back to what they were, and a status
    change is undone through its own service (so enrolments, sessions and passwords follow).
    The revert is a change of its own, with its own history row."""
    locked = _lock_to_change(user, by=by)
    try:
        record = User.history.get(history_id=history_id, id=locked.pk)
    except User.history.model.DoesNotExist as error:
        raise DomainError("That change is not in this user's history.") from error
    previous = record.prev_record
    if previous is None:
        raise DomainError("The creation of a user cannot be reverted; delete the user instead.")
    changed = set(changed_fields(record, previous))
    _refuse_reverting_what_changed_again(locked, record, changed)
    profile = {
        name: getattr(previous, User._meta.get_field(name).attname)
        for name in changed & {*PROFILE_FIELDS, "is_staff", "is_superuser"}
    }
    if "organisation" in profile:
        profile["organisation"] = Organisation.objects.filter(pk=profile["organisation"]).first()
    credentials = Credentials(user=locked)
    if "status" in changed:
        if locked.status != record.status:
            raise DomainError(
                f"The status has changed again since then (now {locked.get_status_display()}); "
                "change it directly instead."
            )
        action = REVERT_STATUS.get((previous.status, record.status))
        if action == "reactivate":
            credentials = user_reactivate(locked, by=by, reason=reason)
        elif action == "deactivate":
            user_deactivate(locked, by=by, reason=reason)
        elif action == "undelete":
            credentials = user_undelete(locked, by=by, reason=reason)
        elif action == "delete":
            user_delete(locked, by=by, reason=reason)
    if profile:
        user_update(locked, by=by, reason=reason, **profile)
    if not profile and "status" not in changed:
        raise DomainError("That change touched nothing that can be put back.")
    return credentials


# Bulk forms -----------------------------------------------------------------------------


def _locked_ids(users: QuerySet, **criteria) -> tuple[list[int], int]:
    """Ids of the selected users that the transition applies to, locked; and how many not."""
    selected = users.order_by().values("id")
    eligible = list(
        User.objects.filter(id__in=selected, anonymised_at__isnull=True, **criteria)
        .select_for_update()
        .order_by("id")
        .values_list("id", flat=True)
    )
    return eligible, users.count() - len(eligible)


# Users per statement. On PostgreSQL a batch's ids go as one array parameter, so large
# batches cost nothing to send; elsewhere they stay within the parameter limit.
STATUS_BATCH_SIZE = 50_000


def _selected_with_status(users: QuerySet, status: str) -> tuple[list[int], int]:
    """One read of the selection: the ids (in id order) of those in `status` and not
    anonymised, and how many were chosen."""
    selection = (
        User.objects.filter(id__in=users.order_by().values("id"))
        .order_by("id")
        .values_list("id", "status", "anonymised_at")
    )
    chosen, ids = 0, []
    for pk, current, anonymised_at in selection.iterator(chunk_size=10_000):
        chosen += 1
        if current == status and anonymised_at is None:
            ids.append(pk)
    return ids, chosen


def _take_out_of_access(ids: list[int], *, unusable_password: str, now) -> list[int]:
    """Make the active ones of `ids` inactive in one statement, which locks and changes
    them together (in id order, as concurrent bulk changes do): the password kept aside for
    their return, and voided. Returns the ids it changed."""
    quote = connection.ops.quote_name
    condition, id_params = id_list_condition(quote("id"), ids)
    sql = (
        f"UPDATE {quote(User._meta.db_table)} SET {quote('status')} = %s, "
        f"{quote('status_changed_at')} = %s, "
        # Both read the row as it was: the old hash is kept, then voided.
        f"{quote('password_while_inactive')} = {quote('password')}, {quote('password')} = %s "
        f"WHERE {condition} AND {quote('status')} = %s AND {quote('anonymised_at')} IS NULL "
        f"RETURNING {quote('id')}"
    )
    params = [
        UserStatus.INACTIVE,
        connection.ops.adapt_datetimefield_value(now),
        unusable_password,
        *id_params,
        UserStatus.ACTIVE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(pk for (pk,) in cursor.fetchall())


@transaction.atomic
def users_deactivate(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    """Take the active ones of `users` out of access, set-based: per batch one statement
    changes them, one writes their history rows (actor and reason), one ends their
    sessions and one takes what they contributed out of the figures. The last training
    admin is kept: taking them out undoes the whole selection."""
    _refuse_unless_may_manage_all(by, users)
    now = timezone.now()
    unusable = make_password(None)
    admins = _training_admin_ids()
    ids, chosen = _selected_with_status(users, UserStatus.ACTIVE)
    changed: list[int] = []
    for batch in batched(ids, id_list_batch_size(STATUS_BATCH_SIZE)):
        left = _take_out_of_access(batch, unusable_password=unusable, now=now)
        insert_history_rows(User, left, by=by, reason=reason, when=now)
        _end_sessions(left)
        figures.people_left(left, now=now)
        changed += left
    leaving_admins = [pk for pk in changed if pk in admins]
    if leaving_admins and not _training_admins().exists():
        raise _last_training_admins_error(User.objects.filter(id__in=leaving_admins))
    return BulkOutcome(changed=len(changed), skipped=chosen - len(changed))


def _reactivate_batch(ids: list[int], *, restore_to: str | None, by, reason: str, now):
    """Set status (active, or each user's status before delete) and hand out credentials."""
    credentials = []
    to_update = []
    for user in User.objects.filter(id__in=ids).only(
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "password",
        "status",
        "status_before_delete",
        "last_login",
    ):
        target = restore_to or user.status_before_delete or UserStatus.INACTIVE
        if user.status == UserStatus.DELETED:
            user.status_before_delete = ""
        user.status = target
        user.status_changed_at = now
        if target == UserStatus.ACTIVE:
            issued, _ = _issue_credentials(user)
            credentials.append(issued)
        to_update.append(user)
    User.objects.bulk_update(
        to_update,
        [
            "status",
            "status_before_delete",
            "status_changed_at",
            "password",
            "password_while_inactive",
            "must_change_password",
            "temporary_password_expires_at",
        ],
    )
    insert_history_rows(User, ids, by=by, reason=reason, when=now)
    return credentials


@transaction.atomic
def users_reactivate(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    _refuse_unless_may_manage_all(by, users)
    ids, skipped = _locked_ids(users, status=UserStatus.INACTIVE)
    outcome = BulkOutcome(changed=len(ids), skipped=skipped)
    now = timezone.now()
    for batch in batched(ids, 1000):
        with figures.people_changing(batch, now=now):
            outcome.credentials += _reactivate_batch(
                batch, restore_to=UserStatus.ACTIVE, by=by, reason=reason, now=now
            )
    return outcome


@transaction.atomic
def users_delete(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    _refuse_unless_may_manage_all(by, users)
    candidates = users.exclude(pk=getattr(by, "pk", None))
    ids, skipped = _locked_ids(candidates, status__in=[UserStatus.ACTIVE, UserStatus.INACTIVE])
    skipped += users.count() - candidates.count()
    _refuse_removing_last_training_admins(ids)
    now = timezone.now()
    unusable = make_password(None)
    for batch in batched(ids):
        with figures.people_changing(batch, now=now):
            User.objects.filter(id__in=batch).update(
                status_before_delete=F("status"),
                status=UserStatus.DELETED,
                status_changed_at=now,
                password=unusable,
                password_while_inactive="",
                marked_for_deletion_at=None,
                marked_for_deletion_by=None,
            )
            enrollment_services.enrollments_delete_for_users(batch, by=by, reason=reason)
        insert_history_rows(User, batch, by=by, reason=reason, when=now)
        _end_sessions(batch)
    return BulkOutcome(changed=len(ids), skipped=skipped)


@transaction.atomic
def users_undelete(
    users: QuerySet, *, by, reason: str, to_status: str | None = None
) -> BulkOutcome:
    """Deleted users back to their status before deletion (or `to_status`, when an import
    says which), every enrolment back to its exact state, in one history row each."""
    if to_status not in (None, UserStatus.ACTIVE, UserStatus.INACTIVE):
        raise DomainError(f"Undelete returns people to active or inactive, not {to_status!r}.")
    _refuse_unless_may_manage_all(by, users)
    ids, skipped = _locked_ids(users, status=UserStatus.DELETED)
    _refuse_merged_away(ids, by)
    outcome = BulkOutcome(changed=len(ids), skipped=skipped)
    now = timezone.now()
    for batch in batched(ids, 1000):
        with figures.people_changing(batch, now=now):
            outcome.credentials += _reactivate_batch(
                batch, restore_to=to_status, by=by, reason=reason, now=now
            )
            enrollment_services.enrollments_undelete_for_users(batch, by=by, reason=reason)
    return outcome
