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
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import (
    create_with_history,
    insert_history_rows,
    save_with_history,
    update_with_history,
)
from lms_admin.plumbing.scoping import (
    TRAINING_ADMIN,
    forget_cached_scope,
    organisation_scope,
    restricted_to_plain_accounts,
)
from users.models import (
    Organisation,
    User,
    UserStatus,
)
from users.services.common import (
    ACCESS_FIELDS,
    PROFILE_FIELDS,
    _copy_fields,
    _lock,
    _lock_to_change,
    _refuse_anonymised,
    _refuse_granting_access,
    _refuse_removing_last_training_admins,
    _refuse_unless_may_manage,
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


ORGANISATION_FIELDS = ("name", "slug", "sis_account_id", "parent", "seat_limit")


@transaction.atomic
def organisation_update(organisation: Organisation, *, by, reason: str, **changes) -> Organisation:
    """Change an organisation's name, slug, SIS account ID, parent or seat limit."""
    if "sis_account_id" in changes:
        changes["sis_account_id"] = changes["sis_account_id"] or None
    parent = changes.get("parent")
    if parent is not None and organisation.pk in _ancestors_and_self(parent):
        raise DomainError("An organisation cannot sit inside itself or one of its own parts.")
    try:
        return update_with_history(
            organisation, changes, by=by, reason=reason, allowed=ORGANISATION_FIELDS
        )
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


def _ancestors_and_self(organisation: Organisation) -> set[int]:
    found, current = set(), organisation
    while current is not None and current.pk not in found:
        found.add(current.pk)
        current = current.parent
    return found


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
    if is_staff or groups:
        _refuse_granting_access(by)
    _refuse_organisation_out_of_reach(by, organisation)
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
    figures.people_added([user.pk])
    if groups:
        user.groups.set(_groups_named(groups))
    enrollment_services.enrollments_create_for_new_user(user, by=by, reason=reason)
    return user


def _refuse_organisation_out_of_reach(by, organisation) -> None:
    if not restricted_to_plain_accounts(by):
        return
    if getattr(organisation, "pk", organisation) not in (organisation_scope(by) or set()):
        raise NotPermitted("You can only manage users of your own organisation.")


def _groups_named(groups) -> list[Group]:
    """Group objects from Group objects or names; an unknown name is refused."""
    names = {getattr(group, "name", group) for group in groups}
    found = list(Group.objects.filter(name__in=names).order_by("name"))
    missing = names - {group.name for group in found}
    if missing:
        raise DomainError(f"There is no role called {', '.join(sorted(missing))}.")
    return found


def _grants_training_admin(is_staff: bool, is_superuser: bool, roles: set[str]) -> bool:
    return is_staff and (is_superuser or TRAINING_ADMIN in roles)


def _roles_text(roles: set[str]) -> str:
    return ", ".join(sorted(roles)) or "none"


@transaction.atomic
def user_update(
    user: User,
    *,
    by,
    reason: str,
    groups=None,
    expected_version: str | None = None,
    **changes,
) -> User:
    """Change profile fields and admin access (is_staff, is_superuser and, when `groups` is
    given, the role groups: Group objects or names). Not the status: it has its own services.

    One history row for the whole change, with actor and reason; a change of roles is named
    in the reason, since roles live outside the user row. Only training admins change admin
    access, and the last active training admin cannot lose it. `expected_version`: the
    version the editing page was built from (lms_admin.plumbing.stale).
    """
    unknown = set(changes) - set(PROFILE_FIELDS) - set(ACCESS_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _lock_to_change(user, by=by, expected_version=expected_version)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    old_roles = set(locked.groups.values_list("name", flat=True))
    new_groups = None
    if groups is not None:
        new_groups = _groups_named(groups)
        if {group.name for group in new_groups} == old_roles:
            new_groups = None
    if not changed and new_groups is None:
        return locked
    if new_groups is not None or set(changed) & set(ACCESS_FIELDS):
        _refuse_granting_access(by)
    if "organisation" in changed:
        _refuse_organisation_out_of_reach(by, changes["organisation"])
    new_roles = old_roles if new_groups is None else {group.name for group in new_groups}
    was_admin = _grants_training_admin(locked.is_staff, locked.is_superuser, old_roles)
    for name in changed:
        setattr(locked, name, changes[name])
    still_admin = _grants_training_admin(locked.is_staff, locked.is_superuser, new_roles)
    if was_admin and not still_admin and locked.status == UserStatus.ACTIVE:
        _refuse_removing_last_training_admins([locked.pk])
    try:
        locked.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    if new_groups is not None:
        reason = f"{reason} (roles: {_roles_text(old_roles)} → {_roles_text(new_roles)})"
        locked.groups.set(new_groups)
        forget_cached_scope(locked)
        forget_cached_scope(user)
    if changed:
        # A new organisation moves everything the person counts under the old one.
        moves = [locked.pk] if "organisation" in changed else []
        with figures.people_changing(moves):
            save_with_history(locked, changed, by=by, reason=reason)
    else:
        insert_history_rows(User, [locked.pk], by=by, reason=reason)
    _copy_fields(user, locked, [User._meta.get_field(name).attname for name in changed])
    return locked


def user_set_roles(
    user: User,
    *,
    groups=None,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    by,
    reason: str,
) -> User:
    """Give or take away admin access: staff, superuser and role groups (None: unchanged)."""
    access = {
        name: value
        for name, value in (("is_staff", is_staff), ("is_superuser", is_superuser))
        if value is not None
    }
    return user_update(user, by=by, reason=reason, groups=groups, **access)


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
    if getattr(by, "pk", None) != locked.pk:
        _refuse_unless_may_manage(by, locked)
    locked.set_password(password)
    locked.must_change_password = False
    locked.temporary_password_expires_at = None
    fields = ["password", "must_change_password", "temporary_password_expires_at"]
    save_with_history(locked, fields, by=by, reason=reason)
    _copy_fields(user, locked, fields)
    return locked
