"""Speeds of the reviews of dormant accounts (issue 16): a review lists its candidates over
1M people in ≤ 2 s. `manage.py bench reviews` after `seed_demo --users 1000000`.

Measured through the selectors the review page uses (the three lists' capped counts, the
first page with each person's activity) and by starting a review, whose candidates are
copied in one INSERT … SELECT, inside a transaction that is rolled back. On a database
whose migrations stop before the review tables, they are made for the measurement and
rolled back with it.
"""

from __future__ import annotations

from django.db import connection, transaction

from bench.management.commands.bench import Measurement, timed
from users import services
from users.models import ReviewCandidate, ReviewKind, ReviewRun, User, UserStatus
from users.selectors.reviews import (
    Criteria,
    activity_summaries,
    candidate_counts,
    candidate_lists,
    list_page,
    reviewable_people,
)


class Rollback(Exception):
    pass


def _admin() -> User:
    admin = User.objects.filter(is_superuser=True, status=UserStatus.ACTIVE).first()
    if admin is None:  # made inside the rolled-back transaction
        admin = User.objects.create_superuser("bench_reviews_admin", "", None)
    return admin


def _ensure_tables():
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (ReviewRun, ReviewRun.history.model, ReviewCandidate):
            if model._meta.db_table not in existing:
                editor.create_model(model)


def bench_reviews(stdout):
    """Everything inside one transaction that is rolled back: nothing of it stays."""
    measurements = []
    try:
        with transaction.atomic():
            measurements = list(_measure())
            raise Rollback
    except Rollback:
        pass
    yield from measurements


def _measure():
    admin = _admin()
    people = reviewable_people(admin)
    for name, criteria in (
        ("defaults 365/540 days", Criteria()),
        ("never used, before 30 days ago", None),
    ):
        if criteria is None:
            from datetime import timedelta

            from django.utils import timezone

            criteria = Criteria(created_before=timezone.now() - timedelta(days=30))
        with timed() as result:
            lists = candidate_lists(people, criteria)
            counts = candidate_counts(lists)
            for queryset in lists.values():
                rows = list_page(queryset)
                activity_summaries(user.pk for user in rows)
        found = ", ".join(f"{reason} {count:,}" for reason, count in counts.items())
        yield Measurement(
            f"Review lists ({name}): counts + first pages [{found}]",
            result["ms"],
            "ms",
            "≤ 2000 ms",
            result["queries"],
        )
    _ensure_tables()
    with timed() as result:
        run = services.review_run_start(
            kind=ReviewKind.NEVER_USED, criteria=criteria, by=admin, reason="Benchmark"
        )
    yield Measurement(
        f"Start a never-used review ({run.candidate_count:,} people copied)",
        result["ms"],
        "ms",
        "",
        result["queries"],
    )
    with timed() as result:
        run = services.review_run_start(
            kind=ReviewKind.MANUAL, criteria=Criteria(), by=admin, reason="Benchmark"
        )
    yield Measurement(
        f"Start a 365/540-day review ({run.candidate_count:,} people copied)",
        result["ms"],
        "ms",
        "",
        result["queries"],
    )


SECTIONS = {"reviews": bench_reviews}
