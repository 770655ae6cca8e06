"""The sign-in throttle: django-axes, with three separate limits instead of its one.

django-axes records every failed sign-in (the admin's and the learners' login pages, DRF's
login page: anything that calls `authenticate()` with a request) in its AccessAttempt table,
which every app server shares through the database. This module replaces its single failure
limit with three, counted over the last hour (`AXES_COOLOFF_TIME`):

- one account from one address (`account_from_address`): an attacker at one address who
  hammers the admin account pauses that account *for that address only*, long before the
  account-wide limit, so one address can never lock the real admin out;
- one address, whatever the account (`address`), bad API tokens included: password spraying
  and token guessing;
- one account from every address (`account`): OWASP ASVS's "no more than 100 failed attempts
  an hour per account". Only many addresses together reach it; the pause ends by itself an
  hour after the last failure, a training admin (or a power user, for their own people) can
  lift it from the user card, and `manage.py axes_reset_username <name>` lifts it from the
  server, so no one is locked out without recourse.

The message is the same whichever limit was reached and whether or not the account exists
(failures are counted for any username typed), so it tells nobody which usernames exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

DEFAULT_LIMITS = {"account_from_address": 10, "address": 100, "account": 100}


def limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "SIGN_IN_LIMITS", {})}


def window() -> timedelta:
    return settings.AXES_COOLOFF_TIME


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind `SIGN_IN_PROXY_COUNT` trusted proxies the
    address the outermost of them saw (each proxy appends to X-Forwarded-For, so entries to
    the left of that one are whatever the client chose to send)."""
    proxies = getattr(settings, "SIGN_IN_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class Pause:
    """Whether sign-in is paused for one attempt, and until when."""

    until: datetime | None = None
    # Which limit was reached: "account_from_address", "address" or "account".
    scope: str = ""
    # Failures in the last hour per scope, counting the attempt just recorded.
    failures: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.until is not None and self.until > timezone.now()

    @property
    def wait_seconds(self) -> int:
        if not self:
            return 0
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.wait_seconds / 60))
        until = timezone.localtime(self.until).strftime("%H:%M")
        return (
            f"Too many failed sign-in attempts. Sign-in is paused: try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''} (after {until}). If you cannot wait, a "
            "training admin can lift the pause from your user card."
        )


def pause_for(username: str | None, address: str | None) -> Pause:
    """The pause that applies to signing in as `username` from `address` (None: no pause).

    One query over the attempts of the last hour that share the username or the address.
    """
    since = timezone.now() - window()
    by_pair = Q(username=username, ip_address=address)
    by_address = Q(ip_address=address)
    by_account = Q(username=username)
    scopes = {"address": by_address}
    if username is not None:
        scopes = {"account_from_address": by_pair, **scopes, "account": by_account}
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since).filter(
        by_address | by_account if username is not None else by_address
    )
    figures = attempts.aggregate(
        **{f"{name}_failures": Sum("failures_since_start", filter=q) for name, q in scopes.items()},
        **{f"{name}_last": Max("attempt_time", filter=q) for name, q in scopes.items()},
    )
    failures = {name: figures[f"{name}_failures"] or 0 for name in scopes}
    reached = [
        (figures[f"{name}_last"] + window(), name)
        for name in scopes
        if failures[name] >= limits()[name]
    ]
    if not reached:
        return Pause(failures=failures)
    until, scope = max(reached)
    return Pause(until=until, scope=scope, failures=failures)


def request_pause(request, credentials: dict | None = None) -> Pause:
    """The pause for this request, worked out once per request."""
    pause = getattr(request, "sign_in_pause", None)
    if pause is None:
        AxesProxyHandler.update_request(request)
        username = get_client_username(request, credentials) if credentials else None
        pause = pause_for(username, request.axes_ip_address)
        request.sign_in_pause = pause
    return pause


@dataclass(frozen=True)
class AccountSignInState:
    """What the user card shows: failures in the last hour and whether they pause sign-in."""

    failures: int
    addresses: int
    paused_everywhere: bool
    paused_addresses: int
    until: datetime | None

    @property
    def paused(self) -> bool:
        return self.paused_everywhere or self.paused_addresses > 0


def account_sign_in_state(username: str) -> AccountSignInState:
    since = timezone.now() - window()
    per_address = list(
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )
    failures = sum(row["failures"] for row in per_address)
    paused_rows = [
        row for row in per_address if row["failures"] >= limits()["account_from_address"]
    ]
    paused_everywhere = failures >= limits()["account"]
    relevant = per_address if paused_everywhere else paused_rows
    last = max((row["last"] for row in relevant), default=None)
    return AccountSignInState(
        failures=failures,
        addresses=len(per_address),
        paused_everywhere=paused_everywhere,
        paused_addresses=len(paused_rows),
        until=last + window() if last else None,
    )


class SignInThrottleHandler(AxesDatabaseHandler):
    """Axes's database handler, deciding "locked" with the three limits above.

    `AXES_FAILURE_LIMIT` is 1 and `get_failures` answers 1 when a limit is reached: axes
    compares the two, and everything else (recording, clean-up, the lockout response) is
    axes's own.
    """

    def get_failures(self, request, credentials=None) -> int:
        return 1 if request_pause(request, credentials) else 0

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            return
        AxesProxyHandler.update_request(request)
        # Refused because already paused: axes records nothing (the pause is not extended).
        already_paused = bool(request.axes_locked_out)
        request.sign_in_pause = None  # worked out again once this attempt is recorded
        super().user_login_failed(sender, credentials, request, **kwargs)
        if already_paused:
            return
        pause = request_pause(request, credentials)
        username = get_client_username(request, credentials)
        for scope in ("account_from_address", "account"):
            # Equal, not at least: each failure adds one, so this is the moment, once.
            if username and pause.failures.get(scope) == limits()[scope]:
                _record_in_history(username, scope, pause, request)


def _record_in_history(username: str, scope: str, pause: Pause, request) -> None:
    """A row in the history of the account that was paused, if there is such an account."""
    from users import services
    from users.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        return
    total = pause.failures[scope]
    until = timezone.localtime(pause.until).strftime("%d %b %Y %H:%M")
    if scope == "account":
        reason = (
            f"Sign-in paused until {until}: {total} failed sign-in attempts in an hour "
            "from several addresses"
        )
    else:
        reason = (
            f"Sign-in from {request.axes_ip_address} paused until {until}: {total} failed "
            "sign-in attempts in an hour from that address"
        )
    services.user_record_sign_in_lock(user, by=None, reason=reason)


class SignInThrottleBackend(AxesStandaloneBackend):
    """Refuses a paused sign-in before any password is checked.

    Without a request (a shell, the test client's `login()`) there is no client to count,
    so it stands aside instead of raising as axes's own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """What a paused sign-in answers: 429 with the wait, in JSON for the API."""
    pause = request_pause(request, credentials)
    if not pause:  # paused by a limit that ended between the check and the answer
        pause = Pause(until=timezone.now() + timedelta(minutes=1))
    if request.path.startswith("/api/"):
        response = JsonResponse({"errors": [{"message": pause.message}]}, status=429)
    else:
        response = render(
            request,
            "registration/sign_in_paused.html",
            {"title": "Sign-in paused", "message": pause.message},
            status=429,
        )
    response["Retry-After"] = str(pause.wait_seconds)
    return response


# The API: bad tokens count per address, and a paused address is throttled -----------------


def api_pause(request) -> Pause:
    """The pause for an API request: only the address counts (a token names no account)."""
    django_request = getattr(request, "_request", request)
    return request_pause(django_request)


def record_bad_token(request) -> None:
    django_request = getattr(request, "_request", request)
    AxesProxyHandler.user_login_failed(
        sender=record_bad_token, credentials={"username": None}, request=django_request
    )


class SignInPauseThrottle(BaseThrottle):
    """DRF's throttle door for the same pause: a paused address gets 429 and Retry-After."""

    def allow_request(self, request, view) -> bool:
        self.pause = api_pause(request)
        return not self.pause

    def wait(self):
        return self.pause.wait_seconds
