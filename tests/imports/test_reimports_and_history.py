"""Courses, sections, enrolments and memberships: one history row per changed row, the same
file applied twice, duplicates in a file, changes since the preview, query counts."""

import pytest
from django.db import connection

from enrollments import services as enrollment_services
from enrollments.models import (
    Enrollment,
    EnrollmentState,
)
from users import services

from .helpers import (
    COURSES_CANVAS,
    ENROLLMENTS_CANVAS,
    MEMBERSHIPS,
    SECTIONS_CANVAS,
    all_messages,
    assert_import_history,
    confirm,
    counts,
    csv_bytes,
    history_of,
    import_and_apply,
    import_file,
    rows_of,
    world,
)

pytestmark = pytest.mark.django_db


# One history row per changed row, and files applied twice ----------------------------------

ENROLLMENTS_OWN = ["username", "course_sis_id", "section_sis_id", "role", "state", "score"]
ENROLLMENTS_OWN += ["started_at"]


def test_one_history_row_when_an_enrolment_changes_progress_and_state(
    admin_user, make_user, course, evening
):
    learner = make_user()
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, section=evening, by=admin_user, reason="Test set-up"
    )
    start = len(history_of(enrollment))
    content = csv_bytes(
        ENROLLMENTS_OWN,
        [
            learner.username,
            "SIS-SAFE101",
            "SEC-EVE",
            "student",
            "completed",
            "91.5",
            "2026-02-01 09:00:00",
        ],
    )

    job = import_file("enrollments", content, by=admin_user)
    assert counts(job) == {"status": 1}
    changed = {field for field, _, _ in rows_of(job)[min(rows_of(job))].changes}
    assert changed == {"score", "started_at", "state"}
    confirm(job, by=admin_user)

    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.COMPLETED
    assert str(enrollment.score) == "91.50"
    assert enrollment.section == evening
    history = history_of(enrollment)
    assert len(history) == start + 1
    assert history[-1].state == EnrollmentState.COMPLETED
    assert str(history[-1].score) == "91.50"
    assert_import_history(history[-1], by=admin_user, reason="Import enrollments.csv")


def test_one_history_row_when_a_course_changes_name_and_method(
    admin_user, course, make_user, organisation
):
    learner = make_user()
    start = len(history_of(course))
    content = csv_bytes(
        ["code", "name", "sis_course_id", "enrollment_method"],
        ["SAFE101", "Safety for all", "SIS-SAFE101", "everyone"],
    )

    job = import_file("courses", content, by=admin_user)
    assert counts(job) == {"status": 1}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    course.refresh_from_db()
    assert (course.name, course.enrollment_method) == ("Safety for all", "everyone")
    history = history_of(course)
    assert len(history) == start + 1
    assert_import_history(history[-1], by=admin_user, reason="Import courses.csv")
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert len(history_of(enrollment)) == 1


CANVAS_FILES = {
    "courses": (
        COURSES_CANVAS,
        [
            ["SIS-SAFE101", "SAFE101", "Safety basics", "ACME", "active", "", ""],
            ["SIS-C2", "C2", "Second", "PART", "active", "2026-01-01", ""],
        ],
    ),
    "sections": (
        SECTIONS_CANVAS,
        [
            ["SEC-EVE", "SIS-SAFE101", "Evening", "active"],
            ["SEC-2", "SIS-SAFE101", "Two", "active"],
        ],
    ),
    "enrollments": (
        ENROLLMENTS_CANVAS,
        [
            ["SIS-SAFE101", "AG-1", "student", "", "completed"],
            ["SIS-SAFE101", "AG-2", "ta", "SEC-EVE", "inactive"],
            ["SIS-SAFE101", "AG-3", "observer", "SEC-EVE", "active"],
        ],
    ),
}


@pytest.mark.parametrize("kind", list(CANVAS_FILES))
def test_importing_the_same_canvas_file_again_changes_nothing(
    kind, admin_user, make_user, course, evening, partner
):
    for sis in ("AG-1", "AG-2", "AG-3"):
        make_user(sis_user_id=sis)
    header, rows = CANVAS_FILES[kind]
    content = csv_bytes(header, *rows)
    first = import_and_apply(kind, content, by=admin_user)
    assert first.state == "done", first.failure
    after = world()

    again = import_file(kind, content, by=admin_user)

    assert counts(again) == {"unchanged": len(rows)}
    confirm(again, by=admin_user)
    assert world() == after


def test_the_same_enrolment_twice_makes_both_rows_errors(admin_user, make_user, course):
    make_user(sis_user_id="TW-1")
    before = world()
    content = csv_bytes(
        ENROLLMENTS_CANVAS,
        ["SIS-SAFE101", "TW-1", "student", "", "active"],
        ["SIS-SAFE101", "TW-1", "Student", "", "completed"],
    )
    job = import_file("enrollments", content, by=admin_user)
    assert counts(job) == {"error": 2}
    assert world() == before


def test_two_courses_with_one_code_need_an_sis_id(admin_user, course):
    enrollment_services.course_create(
        code="SAFE101", name="Another safety course", by=admin_user, reason="Test"
    )
    before = world()
    job = import_file(
        "courses", csv_bytes(["code", "name"], ["SAFE101", "Which one?"]), by=admin_user
    )
    assert counts(job) == {"error": 1}
    assert "sis_course_id" in all_messages(job)
    assert world() == before


def test_a_membership_removed_after_the_preview_refuses_the_import(
    admin_user, make_user, organisation
):
    segment = services.segment_create(
        name="Crew", organisation=organisation, by=admin_user, reason="Test set-up"
    )
    leaving = make_user()
    services.segment_add_members(
        segment, type(leaving).objects.filter(pk=leaving.pk), by=admin_user, reason="Test"
    )
    job = import_file(
        "memberships",
        csv_bytes(MEMBERSHIPS, ["Crew", "ACME", "", leaving.username, "deleted"]),
        by=admin_user,
    )
    assert counts(job) == {"status": 1}
    services.segment_remove_members(
        segment, type(leaving).objects.filter(pk=leaving.pk), by=admin_user, reason="Meanwhile"
    )
    before = world()

    job = confirm(job, by=admin_user)

    assert job.state == "failed"
    assert "changed after the preview" in job.failure
    assert world() == before


def test_an_enrolment_created_after_the_preview_refuses_the_import(admin_user, make_user, course):
    learner = make_user(sis_user_id="RC-1")
    job = import_file(
        "enrollments",
        csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "RC-1", "student", "", "active"]),
        by=admin_user,
    )
    assert counts(job) == {"new": 1}
    enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Meanwhile"
    )
    before = world()

    job = confirm(job, by=admin_user)

    assert job.state == "failed"
    assert "changed after the preview" in job.failure
    assert world() == before


def test_checking_enrolments_takes_a_constant_number_of_queries(admin_user, make_user, course):
    from django.test.utils import CaptureQueriesContext

    from .helpers import check_only

    people = [make_user(sis_user_id=f"QC-{i}") for i in range(40)]

    def queries(n):
        rows = [["SIS-SAFE101", p.sis_user_id, "student", "", "active"] for p in people[:n]]
        with CaptureQueriesContext(connection) as captured:
            job = check_only("enrollments", csv_bytes(ENROLLMENTS_CANVAS, *rows), by=admin_user)
        assert counts(job) == {"new": n}
        return len(captured.captured_queries)

    queries(3)  # the importer's permissions are read once, then cached
    assert queries(40) <= queries(3) + 2
