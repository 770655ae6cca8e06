import pytest
from django.core import mail

from enrollments import services
from enrollments.models import Enrollment, EnrollmentMethod, EnrollmentState, Section
from lms_admin.plumbing.errors import DomainError
from users import services as user_services
from users.models import Organisation

pytestmark = pytest.mark.django_db


def test_course_gets_a_default_section(course):
    sections = list(Section.objects.filter(course=course))
    assert len(sections) == 1 and sections[0].is_default


def test_enrol_uses_default_section_and_refuses_a_duplicate(course, make_user, admin_user):
    learner = make_user()
    enrollment = services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Enrol"
    )
    assert enrollment.section.is_default
    assert enrollment.history.count() == 1
    assert enrollment.history.first().history_change_reason == "Enrol"
    with pytest.raises(DomainError, match="already has the role"):
        services.enrollment_create(user=learner, course=course, by=admin_user, reason="Again")
    assert Enrollment.objects.filter(user=learner).count() == 1


def test_enrol_refuses_a_section_of_another_course(course, make_user, admin_user):
    other = services.course_create(code="OTHER", name="Other", by=admin_user, reason="t")
    section = Section.objects.get(course=other)
    with pytest.raises(DomainError, match="another course"):
        services.enrollment_create(
            user=make_user(), course=course, section=section, by=admin_user, reason="t"
        )


def test_set_state_never_moves_the_enrollment_to_another_section(course, make_user, admin_user):
    second = services.section_create(course, name="Cohort B", by=admin_user, reason="t")
    enrollment = services.enrollment_create(
        user=make_user(), course=course, section=second, by=admin_user, reason="t"
    )
    for state in ("inactive", "active", "completed", "deleted", "active"):
        services.enrollment_set_state(enrollment, state, by=admin_user, reason=f"to {state}")
        enrollment.refresh_from_db()
        assert enrollment.section_id == second.pk
        assert enrollment.state == state
    assert enrollment.history.count() == 6
    with pytest.raises(DomainError, match="Unknown enrolment state"):
        services.enrollment_set_state(enrollment, "suspended", by=admin_user, reason="t")


def test_access_is_computed_from_user_and_enrollment(course, make_user, admin_user):
    learner = make_user()
    enrollment = services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    assert enrollment.gives_access
    user_services.user_deactivate(learner, by=admin_user, reason="Left")
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE
    assert not enrollment.gives_access
    assert not Enrollment.objects.with_access().filter(pk=enrollment.pk).exists()
    user_services.user_reactivate(learner, by=admin_user, reason="Back")
    enrollment.refresh_from_db()
    assert enrollment.gives_access


def test_everyone_course_enrols_inactive_users_silently(organisation, make_user, admin_user):
    sub = Organisation.objects.create(name="Sub", slug="sub", parent=organisation)
    active, inactive, in_sub = make_user(), make_user(), make_user(organisation=sub)
    deleted = make_user()
    outsider = make_user(organisation=Organisation.objects.create(name="Else", slug="else"))
    user_services.user_deactivate(inactive, by=admin_user, reason="Leave")
    user_services.user_delete(deleted, by=admin_user, reason="Duplicate")
    course = services.course_create(
        code="ALL1", name="For everyone", organisation=organisation, by=admin_user, reason="t"
    )
    mail.outbox.clear()

    created = services.course_set_enrollment_method(
        course, EnrollmentMethod.EVERYONE, by=admin_user, reason="Everyone"
    )

    enrolled = set(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    assert {active.pk, inactive.pk, in_sub.pk, admin_user.pk} <= enrolled
    assert deleted.pk not in enrolled and outsider.pk not in enrolled
    assert created == len(enrolled)
    assert mail.outbox == []
    rows = Enrollment.objects.filter(course=course)
    assert set(rows.values_list("source", flat=True)) == {"everyone"}
    assert Enrollment.history.filter(course_id=course.pk, history_type="+").count() == created
    inactive_enrollment = rows.get(user=inactive)
    assert not inactive_enrollment.gives_access
    # Switching again adds nobody twice.
    assert (
        services.course_set_enrollment_method(
            course, EnrollmentMethod.EVERYONE, by=admin_user, reason="Again"
        )
        == 0
    )
    # Reactivated: full access at once.
    user_services.user_reactivate(inactive, by=admin_user, reason="Back")
    assert rows.get(user=inactive).gives_access


def test_people_created_later_join_an_everyone_course(organisation, make_user, admin_user):
    course = services.course_create(
        code="ALL2",
        name="Onboarding",
        organisation=organisation,
        enrollment_method=EnrollmentMethod.EVERYONE,
        by=admin_user,
        reason="t",
    )
    newcomer = make_user()
    enrollment = Enrollment.objects.get(course=course, user=newcomer)
    assert enrollment.source == "everyone" and enrollment.section.is_default


def test_bulk_set_state_writes_one_history_row_each(course, make_user, admin_user):
    learners = [make_user() for _ in range(4)]
    for learner in learners:
        services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    rows = Enrollment.objects.filter(course=course)
    before = Enrollment.history.filter(course_id=course.pk).count()
    assert services.enrollments_set_state(rows, "completed", by=admin_user, reason="Done") == 4
    assert Enrollment.history.filter(course_id=course.pk).count() == before + 4
    assert set(rows.values_list("state", flat=True)) == {"completed"}
    assert not rows.filter(completed_at__isnull=True).exists()


def test_course_dates_must_be_in_order(admin_user):
    import datetime

    with pytest.raises(DomainError, match="cannot end before it starts"):
        services.course_create(
            code="BAD",
            name="Backwards",
            start_date=datetime.date(2026, 5, 1),
            end_date=datetime.date(2026, 4, 1),
            by=admin_user,
            reason="t",
        )
