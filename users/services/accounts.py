"""Creating and editing organisations and users; passwords; mail to a selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrollments import services as enrollment_services
from users.exceptions import DomainError
from users.history import (
    create_with_history,
    save_with_history,
)
from users.models import (
    Organisation,
    User,
    UserStatus,
)
from users.services.common import (
    PROFILE_FIELDS,
    _copy_fields,
    _lock,
    _refuse_anonymised,
)

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
