"""Speeds of the learner's side (issue 18): My learning for a person with 500 enrolments
(target ≤ 100 ms, a fixed number of queries) and starting a course (≤ 30 ms).

Run on the 1M seed on PostgreSQL: `manage.py bench learner`. Everything it creates is made
inside a transaction that is rolled back, so the data set stays as it was.
"""

from __future__ import annotations

import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.management.commands.bench import Measurement
from bench.users import _page as median_page
from enrollments import services
from enrollments.models import Certificate, Course, Enrollment, Section
from users.models import Organisation, User, UserStatus

ENROLMENTS = 500
STARTS = 20


class Rollback(Exception):
    pass


def _courses(count: int, tag: str, organisation) -> list[Section]:
    now = timezone.now()
    courses = Course.objects.bulk_create(
        Course(code=f"BENCH-{tag}-{n}", name=f"Bench course {n}", organisation=organisation)
        for n in range(count)
    )
    return Section.objects.bulk_create(
        Section(course=c, name=c.name, is_default=True, created_at=now) for c in courses
    )


def _my_learning(stdout):
    organisation = Organisation.objects.order_by("id").first()
    learner = User.objects.create_user(
        "bench_learner", "bench.learner@example.com", None, organisation=organisation
    )
    now = timezone.now()
    sections = _courses(ENROLMENTS, "ML", organisation)
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            user=learner,
            course_id=s.course_id,
            section=s,
            state="completed" if n % 2 else "active",
            completed_at=now if n % 2 else None,
            score=80 if n % 2 else None,
        )
        for n, s in enumerate(sections)
    )
    Certificate.objects.bulk_create(
        Certificate(enrollment=e) for e in enrollments if e.state == "completed"
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(learner)
    url = reverse("learner:home")
    client.get(url)
    ms, queries = median_page(client, url)
    return Measurement(
        f"My learning ({ENROLMENTS} enrolments, {ENROLMENTS // 2} certificates)",
        ms,
        "ms",
        "≤ 100 ms, fixed SQL",
        queries,
    )


def _starts():
    organisation = Organisation.objects.filter(users__status=UserStatus.ACTIVE).first()
    organisation = organisation or Organisation.objects.order_by("id").first()
    section = _courses(1, "START", organisation)[0]
    people = list(
        User.objects.filter(organisation=organisation, status=UserStatus.ACTIVE)
        .exclude(enrollments__section=section)
        .order_by("-id")[:STARTS]
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(user=p, course_id=section.course_id, section=section) for p in people
    )
    times, queries = [], 0
    for enrollment, person in zip(enrollments, people, strict=True):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            services.enrollment_start(enrollment, by=person)
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured.captured_queries)
    return Measurement(
        f"Starting a course (median of {len(times)} people)",
        statistics.median(times),
        "ms",
        "≤ 30 ms",
        queries,
    )


def bench_learner(stdout):
    results = []
    try:
        with transaction.atomic():
            results.append(_my_learning(stdout))
            results.append(_starts())
            raise Rollback
    except Rollback:
        pass
    yield from results


SECTIONS = {"learner": bench_learner}
