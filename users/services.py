"""The user lifecycle: the only door through which a user's status changes.

Every function here is atomic, locks the rows it changes, returns early when nothing
changes, writes one history row per changed object with actor and reason, and defers mail
to after commit. Bulk forms take a queryset and work in set-based batches.

Deactivation never touches enrolments; deletion remembers each enrolment's state so that
undeletion restores every one of them exactly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from enrollments import services as enrollment_services
from users.exceptions import DomainError
from users.history import (
    batched,
    changed_fields,
    create_with_history,
    delete_with_history,
    insert_history_rows,
    save_with_history,
)
from users.models import (
    Organisation,
    Segment,
    SegmentMembership,
    User,
    UserSession,
    UserStatus,
)
from users.scoping import TRAINING_ADMIN

# Characters for temporary passwords: no 0/O or 1/l/I, so they can be read out on the phone.
TEMPORARY_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PROFILE_FIELDS = ("username", "email", "first_name", "last_name", "sis_user_id", "organisation")


@dataclass
class Credentials:
    """What reactivation handed out: a reset link by email, or a temporary password."""

    user: User
    reset_link_sent_to: str = ""
    temporary_password: str = ""
    expires_at: datetime | None = None

    @property
    def masked_email(self) -> str:
        return mask_email(self.reset_link_sent_to)


@dataclass
class BulkOutcome:
    changed: int = 0
    skipped: int = 0
    credentials: list[Credentials] = field(default_factory=list)


def mask_email(email: str) -> str:
    """j.smith@example.com -> j…@e…: enough to recognise, not enough to harvest."""
    if "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}…@{domain[:1]}…"


def _label(user: User) -> str:
    return user.get_full_name()


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _copy_fields(target: User, source: User, fields) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _refuse_anonymised(user: User) -> None:
    if user.anonymised_at is not None:
        raise DomainError(
            f"{user.username} was anonymised on {user.anonymised_at:%d %b %Y}; "
            "an anonymised user cannot be changed."
        )


def _training_admins() -> QuerySet:
    return User.objects.filter(
        Q(is_superuser=True) | Q(groups__name=TRAINING_ADMIN), status=UserStatus.ACTIVE
    ).distinct()


def _refuse_removing_last_training_admins(ids: list[int]) -> None:
    admins = _training_admins()
    leaving = admins.filter(id__in=ids)
    if leaving.exists() and not admins.exclude(id__in=ids).exists():
        names = ", ".join(leaving.values_list("username", flat=True)[:3])
        raise DomainError(
            f"{names} is the last active training admin. Make someone else a training admin "
            "first, so that somebody can still manage the platform."
        )


def _end_sessions(user_ids) -> None:
    UserSession.objects.filter(user_id__in=user_ids).delete()


# Creating and editing -------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *,
    name: str,
    slug: str,
    sis_account_id: str | None = None,
    parent=None,
    seat_limit: int | None = None,
    by,
    reason: str,
):
    try:
        return create_with_history(
            Organisation,
            by=by,
            reason=reason,
            name=name,
            slug=slug,
            sis_account_id=sis_account_id or None,
            parent=parent,
            seat_limit=seat_limit,
        )
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    sis_user_id: str | None = None,
    organisation=None,
    password: str | None = None,
    is_staff: bool = False,
    groups: list[str] | None = None,
    date_joined: datetime | None = None,
    by,
    reason: str,
) -> User:
    """Create a user; "everyone" courses of their organisation enrol them at once."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email or ""),
        first_name=first_name,
        last_name=last_name,
        sis_user_id=sis_user_id or None,
        organisation=organisation,
        is_staff=is_staff,
        date_joined=date_joined or timezone.now(),
        status_changed_at=date_joined or timezone.now(),
    )
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    user._history_user = by
    user._change_reason = reason
    user.save()
    if groups:
        user.groups.set(Group.objects.filter(name__in=groups))
    enrollment_services.enrollments_create_for_new_user(user, by=by, reason=reason)
    return user


@transaction.atomic
def user_update(user: User, *, by, reason: str, **changes) -> User:
    """Change profile fields (not the status: that has its own services)."""
    unknown = set(changes) - set(PROFILE_FIELDS) - {"is_staff", "is_superuser"}
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _lock(user)
    _refuse_anonymised(locked)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    try:
        locked.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    fields = [User._meta.get_field(name).attname for name in changed]
    save_with_history(locked, [name for name in changed], by=by, reason=reason)
    _copy_fields(user, locked, fields)
    return locked


# Deactivate and reactivate --------------------------------------------------------------


@transaction.atomic
def user_deactivate(user: User, *, by, reason: str) -> User:
    """Inactive: no sign-in, sessions ended, password void; enrolments exactly as they were."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    if locked.status == UserStatus.INACTIVE:
        return locked
    if locked.status == UserStatus.DELETED:
        raise DomainError(f"{_label(locked)} is deleted. Undelete them first.")
    _refuse_removing_last_training_admins([locked.pk])
    locked.status = UserStatus.INACTIVE
    locked.status_changed_at = timezone.now()
    locked.set_unusable_password()
    save_with_history(locked, ["status", "status_changed_at", "password"], by=by, reason=reason)
    _end_sessions([locked.pk])
    _copy_fields(user, locked, ["status", "status_changed_at", "password"])
    return locked


def _issue_credentials(user: User) -> tuple[Credentials, list[str]]:
    """Prepare sign-in for a returning user; returns the credentials and changed fields.

    With an email: the old password stays void and a reset link is mailed after commit.
    Without: a temporary password, shown once to the admin, valid once and for a while.
    """
    if user.email:
        user.set_unusable_password()
        user.must_change_password = False
        user.temporary_password_expires_at = None
        credentials = Credentials(user=user, reset_link_sent_to=user.email)
        transaction.on_commit(lambda: send_password_reset_link(user))
    else:
        password = "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(12))
        expires_at = timezone.now() + timedelta(hours=settings.TEMPORARY_PASSWORD_HOURS)
        user.set_password(password)
        user.must_change_password = True
        user.temporary_password_expires_at = expires_at
        credentials = Credentials(user=user, temporary_password=password, expires_at=expires_at)
    return credentials, ["password", "must_change_password", "temporary_password_expires_at"]


def password_reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


def send_password_reset_link(user: User) -> None:
    send_mail(
        subject="Your training account is active again",
        message=(
            f"Hello {user.get_short_name()},\n\n"
            "Your training account has been reactivated. Your courses and certificates are "
            "as you left them. Choose a new password here:\n\n"
            f"{password_reset_url(user)}\n\n"
            f"Your username is {user.username}. The link works once and expires in "
            f"{settings.PASSWORD_RESET_TIMEOUT // 3600} hours.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=False,
    )


@transaction.atomic
def user_reactivate(user: User, *, by, reason: str) -> Credentials:
    """Active again, with every enrolment as it was, and a new way to sign in."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    if locked.status == UserStatus.DELETED:
        raise DomainError(f"{_label(locked)} is deleted. Undelete them instead of reactivating.")
    if locked.status == UserStatus.ACTIVE:
        return Credentials(user=locked)
    locked.status = UserStatus.ACTIVE
    locked.status_changed_at = timezone.now()
    credentials, fields = _issue_credentials(locked)
    save_with_history(locked, ["status", "status_changed_at", *fields], by=by, reason=reason)
    _copy_fields(user, locked, ["status", "status_changed_at", *fields])
    return credentials


@transaction.atomic
def user_reset_password(user: User, *, by, reason: str) -> Credentials:
    """A new way in for an active user: a reset link by email, or a temporary password."""
    locked = _lock(user)
    _refuse_anonymised(locked)
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
def user_delete(user: User, *, by, reason: str) -> User:
    """Deleted: each enrolment's state is kept in state_before_delete, then set "deleted"."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    if locked.status == UserStatus.DELETED:
        return locked
    if locked.pk == getattr(by, "pk", None):
        raise DomainError("You cannot delete your own account.")
    _refuse_removing_last_training_admins([locked.pk])
    locked.status_before_delete = locked.status
    locked.status = UserStatus.DELETED
    locked.status_changed_at = timezone.now()
    locked.set_unusable_password()
    fields = ["status", "status_before_delete", "status_changed_at", "password"]
    save_with_history(locked, fields, by=by, reason=reason)
    _end_sessions([locked.pk])
    enrollment_services.enrollments_delete_for_users([locked.pk], by=by, reason=reason)
    _copy_fields(user, locked, fields)
    return locked


@transaction.atomic
def user_undelete(user: User, *, by, reason: str) -> Credentials:
    """Back to the status before deletion, and every enrolment back to its exact state."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    if locked.status != UserStatus.DELETED:
        return Credentials(user=locked)
    locked.status = locked.status_before_delete or UserStatus.INACTIVE
    locked.status_before_delete = ""
    locked.status_changed_at = timezone.now()
    fields = ["status", "status_before_delete", "status_changed_at"]
    credentials = Credentials(user=locked)
    if locked.status == UserStatus.ACTIVE:
        credentials, credential_fields = _issue_credentials(locked)
        fields += credential_fields
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


@transaction.atomic
def user_revert_change(user: User, history_id: int, *, by, reason: str) -> Credentials:
    """Undo one recorded change: profile fields go back to what they were, and a status
    change is undone through its own service (so enrolments, sessions and passwords follow).
    The revert is a change of its own, with its own history row."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    try:
        record = User.history.get(history_id=history_id, id=locked.pk)
    except User.history.model.DoesNotExist as error:
        raise DomainError("That change is not in this user's history.") from error
    previous = record.prev_record
    if previous is None:
        raise DomainError("The creation of a user cannot be reverted; delete the user instead.")
    changed = set(changed_fields(record, previous))
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


@transaction.atomic
def users_deactivate(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    ids, skipped = _locked_ids(users, status=UserStatus.ACTIVE)
    _refuse_removing_last_training_admins(ids)
    now = timezone.now()
    unusable = make_password(None)
    for batch in batched(ids):
        User.objects.filter(id__in=batch).update(
            status=UserStatus.INACTIVE, status_changed_at=now, password=unusable
        )
        insert_history_rows(User, batch, by=by, reason=reason, when=now)
        _end_sessions(batch)
    return BulkOutcome(changed=len(ids), skipped=skipped)


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
            "must_change_password",
            "temporary_password_expires_at",
        ],
    )
    insert_history_rows(User, ids, by=by, reason=reason, when=now)
    return credentials


@transaction.atomic
def users_reactivate(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    ids, skipped = _locked_ids(users, status=UserStatus.INACTIVE)
    outcome = BulkOutcome(changed=len(ids), skipped=skipped)
    now = timezone.now()
    for batch in batched(ids, 1000):
        outcome.credentials += _reactivate_batch(
            batch, restore_to=UserStatus.ACTIVE, by=by, reason=reason, now=now
        )
    return outcome


@transaction.atomic
def users_delete(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    candidates = users.exclude(pk=getattr(by, "pk", None))
    ids, skipped = _locked_ids(candidates, status__in=[UserStatus.ACTIVE, UserStatus.INACTIVE])
    skipped += users.count() - candidates.count()
    _refuse_removing_last_training_admins(ids)
    now = timezone.now()
    unusable = make_password(None)
    for batch in batched(ids):
        User.objects.filter(id__in=batch).update(
            status_before_delete=F("status"),
            status=UserStatus.DELETED,
            status_changed_at=now,
            password=unusable,
        )
        insert_history_rows(User, batch, by=by, reason=reason, when=now)
        _end_sessions(batch)
        enrollment_services.enrollments_delete_for_users(batch, by=by, reason=reason)
    return BulkOutcome(changed=len(ids), skipped=skipped)


@transaction.atomic
def users_undelete(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    ids, skipped = _locked_ids(users, status=UserStatus.DELETED)
    outcome = BulkOutcome(changed=len(ids), skipped=skipped)
    now = timezone.now()
    for batch in batched(ids, 1000):
        outcome.credentials += _reactivate_batch(
            batch, restore_to=None, by=by, reason=reason, now=now
        )
        enrollment_services.enrollments_undelete_for_users(batch, by=by, reason=reason)
    return outcome


@dataclass
class MailOutcome:
    sent: int = 0
    excluded_inactive: int = 0
    excluded_deleted: int = 0
    excluded_without_email: int = 0


def users_email(users: QuerySet, *, subject: str, body: str, by, reason: str) -> MailOutcome:
    """Email the active people in a selection, after commit; inactive and deleted never."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise DomainError("Write both a subject and a message.")
    selection = User.objects.filter(id__in=users.order_by().values("id"))
    outcome = MailOutcome(
        excluded_inactive=selection.filter(status=UserStatus.INACTIVE).count(),
        excluded_deleted=selection.filter(status=UserStatus.DELETED).count(),
        excluded_without_email=selection.filter(status=UserStatus.ACTIVE, email="").count(),
    )
    recipients = list(
        selection.filter(status=UserStatus.ACTIVE).exclude(email="").values_list("email", flat=True)
    )
    outcome.sent = len(recipients)
    sender = settings.DEFAULT_FROM_EMAIL

    def send():
        send_mass_mail(
            [(subject, body, sender, [address]) for address in recipients], fail_silently=False
        )

    transaction.on_commit(send)
    return outcome


# Passwords ------------------------------------------------------------------------------


@transaction.atomic
def user_consume_temporary_password(user: User) -> User:
    """A temporary password works once: after that sign-in it no longer exists."""
    locked = _lock(user)
    if not (locked.must_change_password and locked.temporary_password_expires_at):
        return locked
    locked.set_unusable_password()
    locked.temporary_password_expires_at = None
    save_with_history(
        locked,
        ["password", "temporary_password_expires_at"],
        by=locked,
        reason="Signed in with the temporary password",
    )
    _copy_fields(user, locked, ["password", "temporary_password_expires_at"])
    return locked


@transaction.atomic
def user_set_password(user: User, password: str, *, by, reason: str) -> User:
    locked = _lock(user)
    _refuse_anonymised(locked)
    locked.set_password(password)
    locked.must_change_password = False
    locked.temporary_password_expires_at = None
    fields = ["password", "must_change_password", "temporary_password_expires_at"]
    save_with_history(locked, fields, by=by, reason=reason)
    _copy_fields(user, locked, fields)
    return locked


# Segments -------------------------------------------------------------------------------


@transaction.atomic
def segment_create(*, name: str, organisation=None, description: str = "", by, reason: str):
    try:
        return create_with_history(
            Segment,
            by=by,
            reason=reason,
            name=name,
            organisation=organisation,
            description=description,
        )
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


@transaction.atomic
def segment_add_members(segment: Segment, users: QuerySet, *, by, reason: str) -> int:
    """Add users to a segment; whatever their status, they stay members until removed."""
    Segment.objects.select_for_update().get(pk=segment.pk)
    added = 0
    now = timezone.now()
    user_ids = list(users.order_by().values_list("id", flat=True))
    for batch in batched(user_ids):
        present = set(
            SegmentMembership.objects.filter(segment=segment, user_id__in=batch).values_list(
                "user_id", flat=True
            )
        )
        new = [
            SegmentMembership(segment=segment, user_id=user_id, added_at=now)
            for user_id in batch
            if user_id not in present
        ]
        if not new:
            continue
        SegmentMembership.objects.bulk_create(new)
        ids = list(
            SegmentMembership.objects.filter(
                segment=segment, user_id__in=[m.user_id for m in new]
            ).values_list("id", flat=True)
        )
        insert_history_rows(
            SegmentMembership, ids, by=by, reason=reason, history_type="+", when=now
        )
        added += len(ids)
    return added


@transaction.atomic
def segment_remove_members(segment: Segment, users: QuerySet, *, by, reason: str) -> int:
    Segment.objects.select_for_update().get(pk=segment.pk)
    memberships = SegmentMembership.objects.filter(
        segment=segment, user_id__in=users.order_by().values("id")
    )
    ids = list(memberships.values_list("id", flat=True))
    now = timezone.now()
    for batch in batched(ids):
        # History first: the "-" row records what the membership was before it went.
        insert_history_rows(
            SegmentMembership, batch, by=by, reason=reason, history_type="-", when=now
        )
        # A raw delete: the ORM's delete() would send a signal per row and simple-history
        # would write a second "-" row for each one.
        SegmentMembership.objects.filter(id__in=batch)._raw_delete(SegmentMembership.objects.db)
    return len(ids)


def segment_membership_delete(membership: SegmentMembership, *, by, reason: str) -> None:
    delete_with_history(membership, by=by, reason=reason)
