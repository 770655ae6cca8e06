"""Sign-in pauses in the account's history, and lifting them (see users/sign_in_throttle.py).

The throttle itself lives in django-axes's attempts table; these services are the door for
what a person's history shows about it: when a pause began, and who lifted it and why.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.db import transaction

from lms_admin.plumbing.history import insert_history_rows
from users.models import User
from users.services.common import _lock, _refuse_unless_may_manage


@transaction.atomic
def user_record_sign_in_lock(user: User, *, by, reason: str) -> None:
    """A history row saying that sign-in to this account was paused (`by` None: the system)."""
    locked = _lock(user)
    insert_history_rows(User, [locked.pk], by=by, reason=reason)


@transaction.atomic
def user_unlock_sign_in(user: User, *, by, reason: str) -> int:
    """Forget the account's failed sign-ins, from every address, so it can sign in again.

    Returns how many failed attempts were forgotten; nothing is written when there were
    none. Pauses of an address as a whole (failures across many accounts) are the address's,
    not the account's, and stay.
    """
    locked = _lock(user)
    _refuse_unless_may_manage(by, locked)
    forgotten = AccessAttempt.objects.filter(username=locked.username).values_list(
        "failures_since_start", flat=True
    )
    total = sum(forgotten)
    if not total:
        return 0
    AccessAttempt.objects.filter(username=locked.username).delete()
    insert_history_rows(
        User,
        [locked.pk],
        by=by,
        reason=f"Sign-in pause lifted ({total} failed attempts forgotten): {reason}",
    )
    return total
