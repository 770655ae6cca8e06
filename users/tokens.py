"""Personal API tokens: recognising them on a request (created and revoked by the services
in users/services/tokens.py).

The secret is shown once, when it is created; the database keeps only its SHA-256 digest
(the secret is 256 random bits, so a slow password hash would add nothing but latency).
Whether a token works is decided on every request in the same query that finds it: not
revoked, not expired, its user active, and issued after the user's latest status change.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from users.models import AccessToken
from users.services.tokens import (  # noqa: F401  (where callers have always found them)
    DEFAULT_EXPIRES_IN_DAYS,
    MAX_EXPIRES_IN_DAYS,
    PREFIX,
    digest,
    token_create,
    token_revoke,
)
from users.sign_in_throttle import api_pause, record_bad_token

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


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
