"""Speeds of the users page, its search, one toggle and a bulk deactivation (issue 3).

Run after `seed_demo --users 1000000` on PostgreSQL: `manage.py bench users`. Every change
is made inside a transaction that is rolled back, so the data set stays as it was.
"""

from __future__ import annotations

import statistics
import time
from urllib.parse import quote_plus

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.management.commands.bench import Measurement, timed
from users import services
from users.models import User, UserStatus
from users.search import users_matching

REPEAT = 5


class Rollback(Exception):
    pass


def _admin() -> User:
    admin = User.objects.filter(is_superuser=True, status=UserStatus.ACTIVE).first()
    if admin is None:
        admin = User.objects.create_superuser("bench_admin", "bench@example.com", None)
    return admin


def _page(client: Client, url: str, repeat: int = REPEAT) -> tuple[float, int]:
    """Median server time over a few requests, and the query count of the last one."""
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
    return statistics.median(times), queries


def bench_users(stdout):
    admin = _admin()
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    changelist = reverse("admin:users_user_changelist")
    client.get(changelist)  # warm caches and connections

    for per_page in (50, 200):
        ms, queries = _page(client, f"{changelist}?status=all&per_page={per_page}")
        yield Measurement(
            f"Users page (All tab, {per_page} rows)", ms, "ms", "≤ 100 ms, ≤ 10 SQL", queries
        )
    ms, queries = _page(client, f"{changelist}?status=inactive")
    yield Measurement("Users page (Inactive tab)", ms, "ms", "≤ 100 ms, ≤ 10 SQL", queries)

    sample = (
        User.objects.filter(last_name__gt="", first_name__gt="")
        .order_by("-id")
        .values_list("first_name", "last_name")[:1]
    )
    first, last = sample[0] if sample else ("anna", "smith")
    # The case, a name fragment matching up to 1,000 users (with the seed's few
    # names that takes a first name and part of a surname), and a common fragment alone.
    for fragment in (f"{first.lower()} {last[:4].lower()}", last[:4].lower()):
        matches = users_matching(User.objects.all(), fragment)[:1001].count()
        ms, queries = _page(client, f"{changelist}?status=all&q={quote_plus(fragment)}")
        yield Measurement(
            f"Search for '{fragment}' ({matches if matches <= 1000 else 'over 1,000'} matches)",
            ms,
            "ms",
            "≤ 50 ms for up to 1,000 matches",
            queries,
        )

    yield from _toggle(client, admin)
    yield from _bulk(admin)


def _toggle(client, admin):
    target = (
        User.objects.filter(status=UserStatus.ACTIVE, is_superuser=False).order_by("id").first()
    )
    if target is None:
        return
    url = reverse("admin:users_user_toggle", args=[target.pk])
    times = []
    try:
        with transaction.atomic():
            for _ in range(REPEAT):
                status = User.objects.get(pk=target.pk).status
                start = time.perf_counter()
                response = client.post(
                    url, {"expected_status": status}, HTTP_ACCEPT="application/json"
                )
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.content
            raise Rollback
    except Rollback:
        pass
    yield Measurement(
        "One toggle (switch off or on, with history)", statistics.median(times), "ms", "≤ 30 ms"
    )


def _bulk(admin, size: int = 100_000):
    active = User.objects.filter(status=UserStatus.ACTIVE, is_superuser=False)
    boundary = list(active.order_by("id").values_list("id", flat=True)[size - 1 : size])
    if not boundary:
        boundary = list(active.order_by("-id").values_list("id", flat=True)[:1])
    if not boundary:
        return
    selection = active.filter(id__lte=boundary[0])
    try:
        with transaction.atomic():
            with timed() as result:
                outcome = services.users_deactivate(selection, by=admin, reason="Benchmark")
            history = User.history.filter(history_change_reason="Benchmark").count()
            raise Rollback
    except Rollback:
        pass
    yield Measurement(
        f"Bulk deactivation of {outcome.changed:,} users ({history:,} history rows)",
        result["ms"] / 1000,
        "s",
        "≤ 5 s for 100,000",
        result["queries"],
    )


SECTIONS = {"users": bench_users}
