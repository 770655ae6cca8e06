"""Speeds of the duplicate finder and of merging and unmerging (issue 17).

Run after `seed_demo --users 1000000` on PostgreSQL: `manage.py bench merge`. The merge is
made inside a transaction that is rolled back, so the data set stays as it was.
- The finder's first page, per reason, over every person: ≤ 2 s.
- Merging two accounts with 1,000 enrolments each (500 of them clashing): ≤ 2 s; undoing
  that merge: ≤ 2 s.
"""

from __future__ import annotations

import statistics

from django.db import transaction

from bench.management.commands.bench import Measurement, timed
from bench.users import REPEAT, Rollback, _admin
from enrollments.models import Course, Enrollment, EnrollmentState, Section
from users import services
from users.models import User
from users.selectors import REASONS, duplicate_groups

ENROLMENTS_EACH = 1000


def bench_finder(stdout):
    """The finder page's reads (its selector, which is all the page queries), per reason."""
    admin = _admin()
    duplicate_groups(admin, reason="email")  # warm caches and connections
    for reason in REASONS:
        times, queries = [], 0
        for _ in range(REPEAT):
            with timed() as page:
                groups, _ = duplicate_groups(admin, reason=reason)
            times.append(page["ms"])
            queries = page["queries"]
        yield Measurement(
            f"Finder, first page ({len(groups)} groups): {reason}",
            statistics.median(times),
            "ms",
            "≤ 2 s",
            queries,
        )


def _two_accounts_with_enrolments(admin) -> tuple[User, User]:
    course = Course.objects.create(code="BENCH-MERGE", name="Bench merge")
    sections = Section.objects.bulk_create(
        Section(course=course, name=f"Bench {n}") for n in range(ENROLMENTS_EACH * 3 // 2)
    )
    keep = User.objects.create(username="bench_merge_keep", email="bench.keep@example.com")
    other = User.objects.create(username="bench_merge_other", email="bench.keep@example.com")
    states = list(EnrollmentState.values)
    rows = []
    for person, first in ((keep, 0), (other, ENROLMENTS_EACH // 2)):
        rows += [
            Enrollment(
                user=person,
                course=course,
                section=section,
                state=states[n % len(states)],
                score=n % 100,
            )
            for n, section in enumerate(sections[first : first + ENROLMENTS_EACH])
        ]
    Enrollment.objects.bulk_create(rows, batch_size=2000)
    return keep, other


def bench_merge(stdout):
    yield from bench_finder(stdout)
    admin = _admin()
    merge_times, undo_times = [], []
    merge_queries = undo_queries = 0
    for _ in range(REPEAT):
        try:
            with transaction.atomic():
                keep, other = _two_accounts_with_enrolments(admin)
                with timed() as merged:
                    merge = services.users_merge(
                        primary=keep, others=[other], by=admin, reason="Benchmark"
                    )
                with timed() as undone:
                    services.merge_undo(merge, by=admin, reason="Benchmark")
                raise Rollback
        except Rollback:
            pass
        merge_times.append(merged["ms"])
        undo_times.append(undone["ms"])
        merge_queries, undo_queries = merged["queries"], undone["queries"]
    merge_times.sort()
    undo_times.sort()
    yield Measurement(
        "Merge 2 accounts × 1,000 enrolments (500 clash)",
        merge_times[len(merge_times) // 2],
        "ms",
        "≤ 2 s",
        merge_queries,
    )
    yield Measurement(
        "Undo that merge", undo_times[len(undo_times) // 2], "ms", "≤ 2 s", undo_queries
    )


SECTIONS = {"merge": bench_merge}
