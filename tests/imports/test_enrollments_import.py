"""Importing enrolments: new ones, state changes in place, status words, scope."""

import pytest

from enrollments import services as enrollment_services
from enrollments.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentType,
    Section,
)
from imports.models import StatusWord

from .helpers import (
    ENROLLMENTS_CANVAS,
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


# Enrolments -------------------------------------------------------------------------------


def test_canvas_enrollments_csv_creates_enrolments(admin_user, make_user, course, evening):
    first = make_user(sis_user_id="E-1")
    second = make_user(sis_user_id="E-2")
    content = csv_bytes(
        ENROLLMENTS_CANVAS,
        ["SIS-SAFE101", "E-1", "student", "", "active"],
        ["SIS-SAFE101", "E-2", "teacher", "SEC-EVE", "active"],
        ["", "E-1", "student", "SEC-EVE", "completed"],
    )

    job = import_file("enrollments", content, by=admin_user, name="enrollments.csv")
    assert job.layout == "Canvas SIS enrollments.csv"
    assert counts(job) == {"new": 3}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    default = Section.objects.get(course=course, is_default=True)
    found = {
        (e.user_id, e.section_id, e.type): e
        for e in Enrollment.objects.filter(course=course, user__in=[first, second])
    }
    assert set(found) == {
        (first.pk, default.pk, EnrollmentType.STUDENT),
        (second.pk, evening.pk, EnrollmentType.TEACHER),
        (first.pk, evening.pk, EnrollmentType.STUDENT),
    }
    completed = found[(first.pk, evening.pk, EnrollmentType.STUDENT)]
    assert completed.state == EnrollmentState.COMPLETED
    assert completed.completed_at is not None
    for enrollment in found.values():
        assert enrollment.source == EnrollmentSource.IMPORT
        history = history_of(enrollment)
        assert len(history) == 1
        assert_import_history(history[0], by=admin_user, reason="Import enrollments.csv", kind="+")


def test_an_enrolment_state_changes_in_place_and_stays_in_its_section(
    admin_user, make_user, course, evening
):
    learner = make_user(sis_user_id="E-3")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, section=evening, by=admin_user, reason="Test set-up"
    )
    enrollments = Enrollment.objects.count()
    start = len(history_of(enrollment))
    content = csv_bytes(
        ENROLLMENTS_CANVAS, ["SIS-SAFE101", "E-3", "student", "SEC-EVE", "inactive"]
    )

    job = import_file("enrollments", content, by=admin_user, name="enrollments.csv")
    assert counts(job) == {"status": 1}
    assert ["state", "active", "inactive"] in rows_of(job)[min(rows_of(job))].changes
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.INACTIVE
    assert enrollment.section == evening
    assert Enrollment.objects.count() == enrollments
    history = history_of(enrollment)
    assert len(history) == start + 1
    assert_import_history(history[-1], by=admin_user, reason="Import enrollments.csv")

    # and back again, with Canvas's word for completed
    import_and_apply(
        "enrollments",
        csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "E-3", "student", "SEC-EVE", "concluded"]),
        by=admin_user,
    )
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.COMPLETED
    assert enrollment.section == evening


def test_a_row_without_section_changes_the_enrolment_in_its_own_section(
    admin_user, make_user, course, evening
):
    learner = make_user(sis_user_id="E-4")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, section=evening, by=admin_user, reason="Test set-up"
    )
    content = csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "E-4", "student", "", "inactive"])

    job = import_file("enrollments", content, by=admin_user)

    assert counts(job) == {"status": 1}
    confirm(job, by=admin_user)
    assert Enrollment.objects.filter(user=learner).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.INACTIVE
    assert enrollment.section == evening


def test_enrolment_status_words_are_configurable(admin_user, make_user, course):
    StatusWord.objects.create(word="Paused", applies_to="enrollments", means="inactive")
    learner = make_user(sis_user_id="E-5")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Test set-up"
    )
    import_and_apply(
        "enrollments",
        csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "E-5", "student", "", "PAUSED"]),
        by=admin_user,
    )
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.INACTIVE


def test_a_user_status_change_leaves_enrolments_alone_and_an_enrolment_import_leaves_the_user(
    admin_user, make_user, course
):
    learner = make_user(sis_user_id="E-6")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Test set-up"
    )
    import_and_apply(
        "enrollments",
        csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "E-6", "student", "", "inactive"]),
        by=admin_user,
    )
    learner.refresh_from_db()
    enrollment.refresh_from_db()
    assert learner.status == "active"
    assert enrollment.state == EnrollmentState.INACTIVE


def test_power_user_cannot_enrol_people_of_another_organisation(power_user, make_user, admin_user):
    outsider = make_user(sis_user_id="E-7")
    open_course = enrollment_services.course_create(
        code="OPEN", name="Open to all", sis_course_id="SIS-OPEN", by=admin_user, reason="Test"
    )
    before = world()
    job = import_file(
        "enrollments",
        csv_bytes(ENROLLMENTS_CANVAS, [open_course.sis_course_id, "E-7", "student", "", "active"]),
        by=power_user,
    )
    assert counts(job) == {"error": 1}
    assert "E-7" in all_messages(job)
    assert world() == before
    assert not Enrollment.objects.filter(user=outsider).exists()
