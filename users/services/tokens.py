"""Personal API tokens: creating one (its secret shown once) and revoking it.

The database keeps only the secret's SHA-256 digest (the secret is 256 random bits, so a
slow password hash would add nothing but latency). Recognising a token on a request is
users/tokens.py.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import create_with_history, save_with_history
from users.models import AccessToken, User, UserStatus

PREFIX = "lms_"
DEFAULT_EXPIRES_IN_DAYS = 90
MAX_EXPIRES_IN_DAYS = 3650


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    user: User,
    *,
    by,
    reason: str,
    purpose: str = "",
    expires_in_days: int | None = DEFAULT_EXPIRES_IN_DAYS,
) -> tuple[AccessToken, str]:
    """Create a token for `user`; returns it and its secret, which is never stored."""
    if expires_in_days is None:
        expires_in_days = DEFAULT_EXPIRES_IN_DAYS
    if not 1 <= int(expires_in_days) <= MAX_EXPIRES_IN_DAYS:
        raise DomainError(
            f"A token must expire in between 1 and {MAX_EXPIRES_IN_DAYS} days "
            f"(you asked for {expires_in_days})."
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.status != UserStatus.ACTIVE:
        raise DomainError(f"{locked.username} is {locked.status}; only active users get tokens.")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = create_with_history(
        AccessToken,
        by=by,
        reason=reason,
        user=locked,
        purpose=(purpose or "").strip()[:200] or "API access",
        key_digest=digest(secret),
        hint=secret[-4:],
        created_at=now,
        expires_at=now + timedelta(days=int(expires_in_days)),
        created_by=by if getattr(by, "pk", None) else None,
    )
    return token, secret


@transaction.atomic
def token_revoke(token: AccessToken, *, by, reason: str) -> AccessToken:
    locked = AccessToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    save_with_history(locked, ["revoked_at"], by=by, reason=reason)
    token.revoked_at = locked.revoked_at
    return locked
