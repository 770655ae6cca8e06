"""`manage.py bench api`: the REST API's speeds, through the whole stack (middleware, token
auth, scoping, filters, serializers), on a course of 10,000 enrolments.

The course, its organisation and learners are made inside a transaction that is rolled
back at the end, so the command measures the same shape on any database and leaves
nothing behind. The learners are inserted in bulk (10,000 calls of user_create would
take minutes and measure nothing we want); the enrolments go through the service.
"""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from bench.management.commands.bench import Measurement, timed
from enrollments import services
from enrollments.models import Enrollment, EnrollmentMethod, EnrollmentState
from lms_admin.plumbing.scoping import TRAINING_ADMIN
from users.models import Organisation, User
from users.services import user_create
from users.tokens import token_create

LEARNERS = 10_000
TARGET = "≤ 100 ms"


class _Rollback(Exception):
    pass


def _build(stdout):
    run = uuid.uuid4().hex[:8]
    admin = user_create(
        username=f"bench-api-admin-{run}",
        groups=[TRAINING_ADMIN],
        is_staff=True,
        by=None,
        reason="Benchmark set-up (rolled back)",
    )
    organisation = Organisation.objects.create(
        name=f"Bench API {run}", slug=f"bench-api-{run}", sis_account_id=f"BENCH-{run}"
    )
    now = timezone.now()
    User.objects.bulk_create(
        [
            User(
                username=f"bench-{run}-{n}",
                email=f"bench-{run}-{n}@example.com",
                first_name="Bench",
                last_name=f"Learner{n:05d}",
                sis_user_id=f"BENCH-{run}-{n}",
                organisation=organisation,
                password="!",
                date_joined=now,
                status_changed_at=now,
            )
            for n in range(LEARNERS)
        ],
        batch_size=2000,
    )
    course = services.course_create(
        code=f"BENCH-{run}",
        name="Benchmark course",
        organisation=organisation,
        sis_course_id=f"BENCH-{run}",
        by=admin,
        reason="Benchmark set-up (rolled back)",
    )
    services.course_set_enrollment_method(
        course, EnrollmentMethod.EVERYONE, by=admin, reason="Benchmark set-up (rolled back)"
    )
    # A third inactive, so that state[]=active&state[]=inactive filters something real.
    every_third = Enrollment.objects.filter(course=course).order_by("id")[::3]
    services.enrollments_set_state(
        Enrollment.objects.filter(id__in=[row.pk for row in every_third]),
        EnrollmentState.INACTIVE,
        by=admin,
        reason="Benchmark set-up (rolled back)",
    )
    _, secret = token_create(admin, by=admin, reason="Benchmark set-up (rolled back)")
    if connection.vendor == "postgresql":
        # Fresh rows have no planner statistics yet; a real course of this size would.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE users_user, enrollments_enrollment, enrollments_section")
    stdout.write(f"  built a course of {LEARNERS:,} enrolments (rolled back afterwards)")
    return run, organisation, course, secret


def _measure(client, name, method, url, data=None, repeat=5):
    """The median of `repeat` calls, after one warm-up call."""
    call = getattr(client, method)
    call(url, data) if data is not None else call(url)
    results = []
    for _ in range(repeat):
        with timed() as result:
            response = call(url, data) if data is not None else call(url)
        if response.status_code >= 400:
            raise RuntimeError(f"{method.upper()} {url} answered {response.status_code}")
        results.append(result)
    results.sort(key=lambda r: r["ms"])
    middle = results[len(results) // 2]
    return Measurement(name, middle["ms"], "ms", TARGET, middle["queries"])


def _toggle(client, url, repeat=5):
    """Inactivate then reactivate one enrolment, `repeat` times; the median of each."""
    timings = {"inactivate": [], "reactivate": []}
    for _ in range(repeat):
        for name, call, target in (
            ("inactivate", client.delete, f"{url}?task=inactivate"),
            ("reactivate", client.put, f"{url}/reactivate"),
        ):
            with timed() as result:
                response = call(target)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
            timings[name].append(result)
    found = []
    for name, label in (
        ("inactivate", "DELETE one enrolment, task=inactivate"),
        ("reactivate", "PUT one enrolment /reactivate"),
    ):
        results = sorted(timings[name], key=lambda r: r["ms"])
        middle = results[len(results) // 2]
        found.append(Measurement(label, middle["ms"], "ms", TARGET, middle["queries"]))
    return found


def api(stdout):
    measurements = []
    try:
        with transaction.atomic(), override_settings(ALLOWED_HOSTS=["*"]):
            run, organisation, course, secret = _build(stdout)
            client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
            base = f"/api/v1/courses/sis_course_id:BENCH-{run}/enrollments"
            enrollment = Enrollment.objects.filter(course=course).order_by("id").first()
            single = f"/api/v1/courses/{course.pk}/enrollments/{enrollment.pk}"
            measurements += [
                _measure(
                    client,
                    "GET course enrolments, state[]=all, per_page=100, page 1",
                    "get",
                    f"{base}?state[]=all&per_page=100",
                ),
                _measure(
                    client,
                    "GET course enrolments, state[]=all, per_page=100, page 100",
                    "get",
                    f"{base}?state[]=all&per_page=100&page=100",
                ),
                _measure(
                    client,
                    "GET course enrolments, active+inactive, per_page=100, p. 50",
                    "get",
                    f"{base}?state[]=active&state[]=inactive&per_page=100&page=50",
                ),
                _measure(
                    client,
                    "GET account users, per_page=100, page 1",
                    "get",
                    f"/api/v1/accounts/{organisation.pk}/users?per_page=100",
                ),
                _measure(
                    client,
                    "GET account users, search_term, per_page=100",
                    "get",
                    f"/api/v1/accounts/{organisation.pk}/users?search_term=Learner0999",
                ),
                _measure(
                    client,
                    "GET user by sis_user_id",
                    "get",
                    f"/api/v1/users/sis_user_id:BENCH-{run}-5",
                ),
            ]
            measurements += _toggle(client, single)
            raise _Rollback
    except _Rollback:
        pass
    yield from measurements


SECTIONS = {"api": api}
