"""Report speeds for `manage.py bench reports` (targets from issue 4).

Pages are measured through their real views (filters, selectors, templates) with an
in-memory training admin, so the benchmark writes nothing. Exports are measured through
the download's own path (`reports.exports.export_stream` of the report's `Source`; on
PostgreSQL a CSV file is written by COPY), for as many rows as the report has, up to
REPORTS_BENCH_EXPORT_ROWS (default 1,000,000), without the ExportRecord a download writes.
The rows are counted as the download's record counts them.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from bench.management.commands.bench import Measurement, peak_memory, timed
from reports.exports import export_stream
from reports.filters import ArchivedFilterSet, ChangeLogFilterSet
from reports.selectors import archived, changes
from users.models import User


def _bench_admin() -> User:
    person = User(username="bench", is_staff=True, is_superuser=True)
    person.pk = 0
    return person


def _page(url: str, person: User):
    request = RequestFactory().get(url)
    request.user = person
    match = resolve(request.path_info)
    request.resolver_match = match
    response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200, (url, response.status_code)
    response.render() if hasattr(response, "render") else None
    return response


def _measure_page(name: str, url: str, person: User, target: str, runs: int = 3):
    _page(url, person)  # warm caches, as a real server's would be
    best = None
    for _ in range(runs):
        with timed() as result:
            _page(url, person)
        if best is None or result["ms"] < best["ms"]:
            best = result
    return Measurement(name, best["ms"], "ms", target, best["queries"])


def _export(make_source) -> int:
    told = []
    size = 0
    for chunk in export_stream("csv", make_source(), finished=told.append):
        size += len(chunk)  # touch every chunk, as a response writing it would
    assert size and len(told) == 1, (size, told)
    return told[0]


def _measure_export(name: str, make_source):
    start = time.perf_counter()
    count = _export(make_source)
    seconds = time.perf_counter() - start
    yield Measurement(
        f"{name}: {count:,} rows", count / seconds if seconds else 0, "rows/s", "≥ 100,000 rows/s"
    )
    # tracemalloc slows Python down, so memory is measured on its own pass.
    with peak_memory() as memory:
        _export(make_source)
    yield Measurement(f"{name}: peak memory", memory["mb"], "MB", "≤ 150 MB")


def measure(stdout):
    person = _bench_admin()
    limit = int(os.environ.get("REPORTS_BENCH_EXPORT_ROWS", "1000000"))
    yield _measure_page("Analytics page", "/admin/reports/analytics/", person, "≤ 500 ms")
    yield _measure_page("Archived page", "/admin/reports/archived/", person, "≤ 300 ms")
    yield _measure_page("Change log page", "/admin/reports/changes/", person, "")
    today = timezone.localdate()
    for days in (1, 30, 365):
        day = (today - timedelta(days=days)).isoformat()
        yield _measure_page(
            f"As-of report, {days} day(s) ago",
            f"/admin/reports/history/?as_of={day}",
            person,
            "≤ 1 s",
            runs=1,
        )

    request = RequestFactory().get("/")
    request.user = person
    filterset = ArchivedFilterSet(data={}, queryset=User.objects.all(), request=request)
    filterset.form.is_valid()
    yield from _measure_export(
        "Export, inactive users (CSV)",
        lambda: archived.archived_export(filterset, limit=limit),
    )
    log = ChangeLogFilterSet(
        data={"object_type": "enrollment"}, queryset=User.objects.none(), request=request
    )
    log.form.is_valid()
    yield from _measure_export(
        "Export, change log of enrolments (CSV)",
        lambda: changes.change_export(person=person, filters=log.form.cleaned_data, limit=limit),
    )


SECTIONS = {"reports": measure}
