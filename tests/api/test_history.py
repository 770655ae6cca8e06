"""GET /users/:id/history: one user's change log, with their enrolments and segment
memberships as well as the user row, newest first, paged, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from users import services
from users.models import User


@pytest.fixture
def story(api, admin_user, make_user, course, organisation, clock_ticks):
    """A learner's changes, one a tick apart, and someone else's that must not show."""
    learner = make_user(username="kim")
    clock_ticks()
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Induction"
    )
    clock_ticks()
    enrollment_services.enrollment_set_state(
        enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
    )
    clock_ticks()
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="New"
    )
    services.segment_add_members(
        segment, User.objects.filter(pk=learner.pk), by=admin_user, reason="Rota"
    )
    clock_ticks()
    services.segment_remove_members(
        segment, User.objects.filter(pk=learner.pk), by=admin_user, reason="Day shift now"
    )
    clock_ticks()
    api.put(f"/api/v1/users/{learner.pk}", {"user[event]": "suspend"})
    other = make_user(username="other")
    enrollment_services.enrollment_create(user=other, course=course, by=admin_user, reason="x")
    return {"learner": learner, "enrollment": enrollment, "segment": segment}


@pytest.fixture
def clock_ticks(monkeypatch):
    """Move the clock a second on each call, so that every change has its own moment."""
    from datetime import timedelta

    from django.utils import timezone

    real_now = timezone.now
    offset = {"seconds": 0}

    def now():
        return real_now() + timedelta(seconds=offset["seconds"])

    monkeypatch.setattr(timezone, "now", now)

    def tick():
        offset["seconds"] += 1

    return tick


def test_history_has_the_user_their_enrolments_and_memberships_newest_first(
    api, story, course, admin_user
):
    learner, enrollment, segment = story["learner"], story["enrollment"], story["segment"]
    response = api.get(f"/api/v1/users/{learner.pk}/history", {"per_page": 100})
    assert response.status_code == 200
    rows = response.json()
    assert [(row["object_type"], row["event"], row["reason"]) for row in rows] == [
        ("user", "updated", "API: PUT /api/v1/users/:user_id (suspend)"),
        ("segment_membership", "deleted", "Day shift now"),
        ("segment_membership", "created", "Rota"),
        ("enrollment", "updated", "Passed"),
        ("enrollment", "created", "Induction"),
        ("user", "created", "Test set-up"),
    ]
    assert [row["created_at"] for row in rows] == sorted(
        (row["created_at"] for row in rows), reverse=True
    )
    suspended, removed, added, passed, enrolled, created = rows
    assert suspended["changes"]["status"] == ["active", "inactive"]
    assert suspended["status"] == "inactive"
    assert removed["segment_id"] == segment.pk and removed["changes"] == {}
    assert added["changes"]["segment_id"] == [None, segment.pk]
    assert passed["object_id"] == enrollment.pk and passed["course_id"] == course.pk
    assert passed["changes"]["state"] == ["active", "completed"]
    assert passed["status"] is None
    assert enrolled["changes"]["course_id"] == [None, course.pk]
    assert enrolled["actor"]["login_id"] == "admin"
    assert created["changes"]["username"] == [None, "kim"]


def test_history_pages_through_every_table(api, story):
    url = f"/api/v1/users/{story['learner'].pk}/history"
    everything = api.get(url, {"per_page": 100}).json()
    paged, page = [], 1
    while True:
        response = api.get(url, {"per_page": 4, "page": page})
        paged += response.json()
        if 'rel="next"' not in response.headers["Link"]:
            break
        page += 1
    assert page == 2
    assert paged == everything
    assert 'rel="last"' in response.headers["Link"]


def test_history_queries_do_not_grow_with_the_page_size(
    api, admin_user, make_user, course, organisation, django_assert_max_num_queries
):
    learner = make_user()
    for n in range(8):
        other = enrollment_services.course_create(
            code=f"C{n}", name=f"Course {n}", by=admin_user, reason="t"
        )
        enrollment = enrollment_services.enrollment_create(
            user=learner, course=other, by=admin_user, reason="t"
        )
        enrollment_services.enrollment_set_state(
            enrollment, EnrollmentState.INACTIVE, by=admin_user, reason="t"
        )
        segment = services.segment_create(
            name=f"S{n}", organisation=organisation, by=admin_user, reason="t"
        )
        services.segment_add_members(
            segment, User.objects.filter(pk=learner.pk), by=admin_user, reason="t"
        )
        services.user_update(learner, email=f"k{n}@example.com", by=admin_user, reason="t")
    url = f"/api/v1/users/{learner.pk}/history"
    api.get(url, {"per_page": 3})  # warm up
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(url, {"per_page": 3}).json()) == 3
    with django_assert_max_num_queries(len(small)):
        rows = api.get(url, {"per_page": 100}).json()
    assert len(rows) == 1 + 8 * 4
    assert {row["object_type"] for row in rows} == {"user", "enrollment", "segment_membership"}


def test_a_power_user_cannot_read_another_organisations_history(power_api, story):
    response = power_api.get(f"/api/v1/users/{story['learner'].pk}/history")
    assert response.status_code == 404
