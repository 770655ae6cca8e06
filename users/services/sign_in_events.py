"""Sign-in and sign-out events (Canvas's authentication audit), ending every session of a
person, and forgetting old events after the retention period.

Recording an event is one INSERT after the sign-in commits: the person is not kept waiting
by it, and a failure to record never fails the sign-in.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lms_admin.plumbing.history import insert_history_rows
from users.models import AccessToken, AuthenticationEvent, User, UserSession
from users.services.common import _end_sessions, _lock, _refuse_unless_may_manage

logger = logging.getLogger(__name__)


def authentication_event_record(
    user: User, event_type: str, *, address: str | None, user_agent: str = ""
) -> None:
    """Note a sign-in or sign-out once the surrounding transaction commits."""
    values = {
        "user_id": user.pk,
        "organisation_id": user.organisation_id,
        "event_type": event_type,
        "at": timezone.now(),
        "address": address or None,
        "user_agent": (user_agent or "")[:255],
    }

    def write():
        try:
            AuthenticationEvent.objects.create(**values)
        except Exception:  # the audit is a record, not a gate: sign-in must go on
            logger.warning("Could not record a sign-in event", exc_info=True)

    transaction.on_commit(write)


def retention_days() -> int:
    return int(getattr(settings, "AUTHENTICATION_EVENT_RETENTION_DAYS", 365))


def authentication_events_purge(*, now=None, batch: int = 10_000) -> int:
    """Delete events older than the retention period, a batch at a time; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    removed = 0
    while True:
        ids = list(
            AuthenticationEvent.objects.filter(at__lt=cutoff).values_list("id", flat=True)[:batch]
        )
        if not ids:
            return removed
        removed += AuthenticationEvent.objects.filter(id__in=ids).delete()[0]


@transaction.atomic
def user_end_sessions(user: User, *, by, reason: str) -> dict[str, int]:
    """Canvas's "terminate all sessions": every session ends and every token is revoked."""
    locked = _lock(user)
    _refuse_unless_may_manage(by, locked)
    sessions = UserSession.objects.filter(user_id=locked.pk).count()
    _end_sessions([locked.pk])
    tokens = AccessToken.objects.filter(user=locked, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    insert_history_rows(
        User,
        [locked.pk],
        by=by,
        reason=f"All sessions ended ({sessions} sessions, {tokens} tokens): {reason}",
    )
    return {"sessions": sessions, "tokens": tokens}
