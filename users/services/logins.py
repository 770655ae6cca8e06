"""Logins (Canvas's pseudonyms). Each person here has exactly one login: their username,
SIS id and password. Suspending it is deactivating the person, through the lifecycle
service, with the same effects as the card's switch; making it active again reactivates.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from lms_admin.plumbing.errors import DomainError
from users.models import User, UserStatus
from users.services.accounts import user_set_password, user_update
from users.services.common import Credentials
from users.services.lifecycle import user_deactivate, user_reactivate

LOGIN_STATES = ("active", "suspended")


def login_state(user: User) -> str:
    return "active" if user.status == UserStatus.ACTIVE else "suspended"


@transaction.atomic
def user_login_update(
    user: User,
    *,
    by,
    reason: str,
    unique_id: str | None = None,
    sis_user_id: str | None = None,
    password: str | None = None,
    workflow_state: str | None = None,
) -> tuple[User, Credentials | None]:
    """Change a login; all of it or nothing. Returns the person and, on reactivation, how
    they sign in again."""
    if workflow_state is not None and workflow_state not in LOGIN_STATES:
        raise DomainError(
            f"login[workflow_state] must be active or suspended, not “{workflow_state}”."
        )
    if user.status == UserStatus.DELETED:
        raise DomainError("This person is deleted; restore them before changing their login.")
    changes = {}
    if unique_id is not None:
        if not unique_id.strip():
            raise DomainError("login[unique_id] cannot be blank.")
        changes["username"] = unique_id.strip()
    if sis_user_id is not None:
        changes["sis_user_id"] = sis_user_id.strip() or None
    if changes:
        user = user_update(user, by=by, reason=reason, **changes)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise DomainError(" ".join(error.messages)) from error
        user = user_set_password(user, password, by=by, reason=reason)
    credentials = None
    if workflow_state == "suspended":
        user = user_deactivate(user, by=by, reason=f"{reason} (login suspended)")
    elif workflow_state == "active" and user.status == UserStatus.INACTIVE:
        credentials = user_reactivate(user, by=by, reason=f"{reason} (login unsuspended)")
        user = credentials.user
    return user, credentials
