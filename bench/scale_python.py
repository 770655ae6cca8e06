"""Scale users and enrolments built in Python with bulk_create, for SQLite: the same shape
as the SQL that `bench.scale_data` runs on PostgreSQL, slow but fine for the small sets
that tests load.
"""

from __future__ import annotations

import bisect
import random
from datetime import timedelta
from decimal import Decimal

from bench.scale_shape import (
    ADMIN_DELETED,
    ENROLLMENT_SOURCE,
    ENROLLMENT_STATE,
    ENROLLMENT_TYPE,
    FIRST_NAMES,
    LAST_NAMES,
    ORGANISATION_SHARES,
    SIS_PREFIX,
    USER_PREFIX,
    USER_STATUS,
    Catalogue,
    course_index,
    pick,
)
from enrollments.models import Enrollment
from users.models import User


def python_users(start: int, stop: int, cat: Catalogue, now, password: str) -> int:
    rng = random.Random(start)
    rows = []
    for g in range(start, stop + 1):
        joined = now - timedelta(days=730) * rng.random()
        status = pick(USER_STATUS, rng.random())
        changed = joined if status == "active" else joined + (now - joined) * rng.random()
        ended = now if status == "active" else changed
        first = FIRST_NAMES[g % len(FIRST_NAMES)]
        last = LAST_NAMES[g // len(FIRST_NAMES) % len(LAST_NAMES)]
        rows.append(
            User(
                password=password,
                username=f"{USER_PREFIX}{g:07d}",
                sis_user_id=f"{SIS_PREFIX}{g:07d}",
                last_login=None if rng.random() < 0.2 else joined + (ended - joined) * rng.random(),
                email="" if rng.random() < 0.1 else f"{first}.{last}.{g}@example.org".lower(),
                first_name=first,
                last_name=last,
                status=status,
                status_changed_at=changed,
                status_before_delete=""
                if status != "deleted"
                else "active"
                if rng.random() < 0.7
                else "inactive",
                date_joined=joined,
                organisation_id=cat.organisations[bisect.bisect(ORGANISATION_SHARES, rng.random())],
            )
        )
    return len(User.objects.bulk_create(rows, batch_size=500))


def python_enrollments(after_user: int, per_user: int, cat: Catalogue, now) -> int:
    rng = random.Random(after_user)
    rows = []
    users = User.objects.filter(id__gt=after_user).values_list(
        "id", "status", "status_changed_at", "date_joined", "organisation_id"
    )
    for user_id, status, changed, joined, organisation_id in users:
        ended = now if status == "active" else changed
        org_index = cat.organisations.index(organisation_id)
        for e in range(per_user):
            c = course_index(user_id, e, org_index)
            created = joined + (ended - joined) * rng.random()
            span = ended - created
            base = pick(ENROLLMENT_STATE, rng.random())
            deleted = status == "deleted" or rng.random() < ADMIN_DELETED
            r_start = rng.random()
            f_start = 0.3 * r_start
            started = None
            if base != "invited" and not (base == "active" and r_start < 0.15):
                started = created + span * f_start
            f_done = f_start + (1 - f_start) * rng.random() if base == "completed" else None
            completed = created + span * f_done if f_done is not None else None
            activity = None
            if started:
                end = 1 if f_done is None else f_done
                activity = created + span * (f_start + (end - f_start) * rng.random())
            extra = cat.extra_sections[c] if rng.random() < 0.3 else None
            rows.append(
                Enrollment(
                    user_id=user_id,
                    course_id=cat.courses[c],
                    section_id=extra or cat.default_sections[c],
                    type=pick(ENROLLMENT_TYPE, rng.random()),
                    state="deleted" if deleted else base,
                    state_before_delete=base if deleted else "",
                    deleted_with_user=status == "deleted",
                    source=pick(ENROLLMENT_SOURCE, rng.random()),
                    created_at=created,
                    started_at=started,
                    completed_at=completed,
                    last_activity_at=activity,
                    updated_at=ended
                    if status == "deleted"
                    else max(t for t in (created, started, completed, activity) if t),
                    score=Decimal(f"{50 + 50 * rng.random():.2f}") if completed else None,
                )
            )
    return len(Enrollment.objects.bulk_create(rows, batch_size=500))
