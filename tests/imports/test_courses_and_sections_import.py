"""Importing courses and sections."""

from datetime import date

import pytest

from enrollments import services as enrollment_services
from enrollments.models import (
    Course,
    Section,
)

from .helpers import (
    COURSES_CANVAS,
    SECTIONS_CANVAS,
    all_messages,
    assert_import_history,
    confirm,
    counts,
    csv_bytes,
    history_of,
    import_file,
    world,
)

pytestmark = pytest.mark.django_db


# Courses ----------------------------------------------------------------------------------


def test_canvas_courses_csv_creates_and_updates_courses(admin_user, course, organisation):
    content = csv_bytes(
        COURSES_CANVAS,
        ["SIS-SAFE101", "SAFE101", "Safety basics, revised", "ACME", "active", "", ""],
        ["SIS-FIRE", "FIRE1", "Fire drills", "ACME", "active", "2026-01-05", "2026-06-30"],
    )
    course_history = len(history_of(course))

    job = import_file("courses", content, by=admin_user, name="courses.csv")
    assert job.layout == "Canvas SIS courses.csv"
    assert counts(job) == {"updated": 1, "new": 1}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    course.refresh_from_db()
    assert course.name == "Safety basics, revised"
    history = history_of(course)
    assert len(history) == course_history + 1
    assert_import_history(history[-1], by=admin_user, reason="Import courses.csv")
    fire = Course.objects.get(sis_course_id="SIS-FIRE")
    assert (fire.code, fire.name, fire.organisation) == ("FIRE1", "Fire drills", organisation)
    assert (fire.start_date, fire.end_date) == (date(2026, 1, 5), date(2026, 6, 30))
    assert_import_history(history_of(fire)[0], by=admin_user, reason="Import courses.csv", kind="+")
    default = Section.objects.get(course=fire, is_default=True)
    assert len(history_of(default)) == 1


def test_courses_are_never_deleted_by_an_import(admin_user, course):
    before = world()
    content = csv_bytes(
        COURSES_CANVAS, ["SIS-SAFE101", "SAFE101", "Safety basics", "", "deleted", "", ""]
    )
    job = import_file("courses", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "never deletes" in all_messages(job)
    assert world() == before


def test_a_course_that_ends_before_it_starts_is_an_error(admin_user):
    before = world()
    content = csv_bytes(
        COURSES_CANVAS, ["SIS-X", "X1", "Backwards", "", "active", "2026-06-01", "2026-01-01"]
    )
    job = import_file("courses", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert world() == before


# Sections ---------------------------------------------------------------------------------


def test_canvas_sections_csv_creates_and_renames_sections(admin_user, course, evening):
    content = csv_bytes(
        SECTIONS_CANVAS,
        ["SEC-EVE", "SIS-SAFE101", "Evening (online)", "active"],
        ["SEC-MORN", "SIS-SAFE101", "Morning", "active"],
    )

    job = import_file("sections", content, by=admin_user, name="sections.csv")
    assert job.layout == "Canvas SIS sections.csv"
    assert counts(job) == {"updated": 1, "new": 1}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    evening.refresh_from_db()
    assert evening.name == "Evening (online)"
    assert evening.course == course
    assert_import_history(history_of(evening)[-1], by=admin_user, reason="Import sections.csv")
    morning = Section.objects.get(sis_section_id="SEC-MORN")
    assert morning.course == course and not morning.is_default
    assert len(history_of(morning)) == 1


def test_a_section_never_moves_to_another_course(admin_user, course, evening):
    other = enrollment_services.course_create(
        code="OTHER", name="Other", sis_course_id="SIS-OTHER", by=admin_user, reason="Test"
    )
    before = world()
    content = csv_bytes(SECTIONS_CANVAS, ["SEC-EVE", other.sis_course_id, "Evening", "active"])
    job = import_file("sections", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert world() == before


def test_a_course_method_change_is_planned_apart_from_statuses(admin_user, course):
    content = csv_bytes(
        ["code", "name", "sis_course_id", "enrollment_method"],
        [course.code, course.name, course.sis_course_id, "everyone"],
    )

    job = import_file("courses", content, by=admin_user)

    (stored,) = job.plans.get().plans
    assert (stored["enrollment_method"], stored["status"]) == ("everyone", None)
    assert counts(job) == {"status": 1}
    confirm(job, by=admin_user)
    course.refresh_from_db()
    assert course.enrollment_method == "everyone"
