"""Importing courses, sections, enrolments and segment memberships."""

from datetime import date

import pytest
from django.db import connection

from enrollments import services as enrollment_services
from enrollments.models import (
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentType,
    Section,
)
from imports.models import StatusWord
from users import services
from users.models import SegmentMembership

from .helpers import (
    ENROLLMENTS_CANVAS,
    all_messages,
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

COURSES_CANVAS = ["course_id", "short_name", "long_name", "account_id", "status"]
COURSES_CANVAS += ["start_date", "end_date"]
SECTIONS_CANVAS = ["section_id", "course_id", "name", "status"]
MEMBERSHIPS = ["segment", "segment_organisation", "user_sis_id", "username", "status"]


def assert_import_history(row, *, by, reason, kind="~"):
    assert (row.history_user_id, row.history_change_reason, row.history_type) == (
        by.pk,
        reason,
        kind,
    )


@pytest.fixture
def evening(course, admin_user):
    return enrollment_services.section_create(
        course, name="Evening", sis_section_id="SEC-EVE", by=admin_user, reason="Test set-up"
    )


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


# Segment memberships -----------------------------------------------------------------------


def test_memberships_add_and_remove_people(admin_user, make_user, organisation):
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="Test set-up"
    )
    joining = make_user(sis_user_id="M-1")
    staying = make_user()
    leaving = make_user()
    services.segment_add_members(
        segment,
        type(joining).objects.filter(pk__in=[staying.pk, leaving.pk]),
        by=admin_user,
        reason="Test set-up",
    )
    history = SegmentMembership.history.count()
    content = csv_bytes(
        MEMBERSHIPS,
        ["Night shift", "ACME", "M-1", "", "active"],
        ["night SHIFT", "acme", "", staying.username, ""],
        ["Night shift", "ACME", "", leaving.username, "deleted"],
    )

    job = import_file("memberships", content, by=admin_user, name="members.csv")
    assert counts(job) == {"new": 1, "unchanged": 1, "status": 1}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    members = set(segment.members.values_list("username", flat=True))
    assert members == {joining.username, staying.username}
    added = SegmentMembership.history.filter(history_type="+", user_id=joining.pk).get()
    removed = SegmentMembership.history.filter(history_type="-", user_id=leaving.pk).get()
    for row in (added, removed):
        assert (row.history_user_id, row.history_change_reason) == (
            admin_user.pk,
            "Import members.csv",
        )
    assert SegmentMembership.history.count() == history + 2


def test_an_unknown_segment_is_a_row_error(admin_user, make_user):
    learner = make_user()
    before = world()
    job = import_file(
        "memberships",
        csv_bytes(MEMBERSHIPS, ["No such segment", "", "", learner.username, "active"]),
        by=admin_user,
    )
    assert counts(job) == {"error": 1}
    assert "No such segment" in all_messages(job)
    assert world() == before


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
