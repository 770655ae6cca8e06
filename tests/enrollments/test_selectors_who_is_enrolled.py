"""Who enrolling takes in, asked once: the bulk page's preview and the service that enrols
count the same people, and the "everyone" preview counts whom the switch enrols."""

import pytest

from enrollments import selectors, services
from enrollments.models import Enrollment, EnrollmentMethod
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def selection(make_user, admin_user, course):
    active, inactive, deleted = make_user(), make_user(), make_user()
    no_email, already = make_user(email=""), make_user()
    User.objects.filter(pk=inactive.pk).update(status=UserStatus.INACTIVE)
    User.objects.filter(pk=deleted.pk).update(status=UserStatus.DELETED)
    services.enrollments_create(
        User.objects.filter(pk=already.pk), course=course, by=admin_user, reason="Before"
    )
    return User.objects.filter(pk__in=[active.pk, inactive.pk, deleted.pk, no_email.pk, already.pk])


@pytest.mark.parametrize("include_inactive", [False, True])
def test_the_preview_counts_whom_the_service_enrols(
    selection, course, admin_user, include_inactive
):
    plan = selectors.enrolment_plan(
        selection, course=course, section=None, type="StudentEnrollment",
        include_inactive=include_inactive,
    )  # fmt: skip
    candidates = set(
        selectors.enrolment_selection(selection)
        .filter(selectors.enrollable(include_inactive=include_inactive))
        .values_list("id", flat=True)
    )
    before = set(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))

    outcome = services.enrollments_create(
        selection, course=course, include_inactive=include_inactive, by=admin_user, reason="Test"
    )

    enrolled = set(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    assert enrolled - before == candidates - before
    assert (plan.enrolled, plan.already_enrolled) == (outcome.created, outcome.already_enrolled)
    assert (plan.skipped_deleted, plan.skipped_inactive) == (
        outcome.skipped_deleted,
        outcome.skipped_inactive,
    )
    assert plan.enrolled == (3 if include_inactive else 2)


def test_the_everyone_preview_counts_whom_the_switch_enrols(selection, course, admin_user):
    preview = selectors.everyone_preview(course)
    created = services.course_set_enrollment_method(
        course, EnrollmentMethod.EVERYONE, by=admin_user, reason="Test"
    )
    assert preview["total"] == created
    assert preview["inactive"] >= 1
