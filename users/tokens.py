"""Personal API tokens: creating, revoking, and recognising them on a request.

The secret is shown once, when it is created; the database keeps only its SHA-256 digest
(the secret is 256 random bits, so a slow password hash would add nothing but latency).
Whether a token works is decided on every request in the same query that finds it: not
revoked, not expired, its user active, and issued after the user's latest status change.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import save_with_history
from users.models import AccessToken, User, UserStatus
from users.sign_in_throttle import api_pause, record_bad_token

PREFIX = "lms_"
DEFAULT_EXPIRES_IN_DAYS = 90
MAX_EXPIRES_IN_DAYS = 3650
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


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
    token = AccessToken(
        user=locked,
        purpose=(purpose or "").strip()[:200] or "API access",
        key_digest=digest(secret),
        hint=secret[-4:],
        created_at=now,
        expires_at=now + timedelta(days=int(expires_in_days)),
        created_by=by if getattr(by, "pk", None) else None,
    )
    token._history_user = by
    token._change_reason = reason
    token.save()
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


def token_authenticate(secret: str) -> AccessToken | None:
    """The usable token with this secret, its user loaded; None if there is none."""
    if not secret or len(secret) > 200:
        return None
    token = (
        AccessToken.objects.usable()
        .select_related("user")
        .filter(key_digest=digest(secret))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`, or Canvas's `access_token` parameter.

    Each bad token is a failed sign-in of the client's address (users/sign_in_throttle.py).
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header:
            if header[0].lower() != b"bearer":
                return None
            if len(header) != 2:
                raise exceptions.AuthenticationFailed("Invalid access token.")
            try:
                secret = header[1].decode()
            except UnicodeError as error:
                raise exceptions.AuthenticationFailed("Invalid access token.") from error
        else:
            secret = request.query_params.get("access_token") or ""
            if not secret:
                return None
        # A paused address may not try tokens at all, good ones included: otherwise guessing
        # would go on, each answer saying whether the guess was right.
        pause = api_pause(request)
        if pause:
            raise exceptions.Throttled(wait=pause.wait_seconds, detail=pause.message)
        token = token_authenticate(secret)
        if token is None:
            record_bad_token(request)
            raise exceptions.AuthenticationFailed("Invalid access token.")
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="canvas-lms"'
