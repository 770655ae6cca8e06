"""The bulk enrol page counts what enrolling will do (enrollments.selectors.enrolment_plan):
enrolled, already enrolled, told by email, not told for want of an email, skipped inactive,
and the counts agree with what enrollments_create then does."""

import pytest
from django.core import mail

from enrollments import services as enrollment_services
from enrollments.selectors import EnrolPlan, enrolment_plan
from tests.users.helpers import bulk, sign_in
from users import services
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def selection(admin_user, make_user, course):
    """Six active people (two already enrolled, one without email), one inactive, one
    deleted."""
    active = [make_user() for _ in range(5)] + [make_user(email="")]
    for person in active[:2]:
        enrollment_services.enrollment_create(
            user=person, course=course, by=admin_user, reason="Test set-up"
        )
    inactive, deleted = make_user(), make_user()
    services.user_deactivate(inactive, by=admin_user, reason="t")
    services.user_delete(deleted, by=admin_user, reason="t")
    return [*active, inactive, deleted]


def plan_for(people, course, include_inactive=False):
    return enrolment_plan(
        User.objects.filter(pk__in=[p.pk for p in people]),
        course=course,
        section=None,
        type="StudentEnrollment",
        include_inactive=include_inactive,
    )


def test_the_plan_counts_each_outcome(selection, course):
    assert plan_for(selection, course) == EnrolPlan(
        enrolled=4,
        already_enrolled=2,
        told_by_email=3,
        no_email=1,
        enrolled_silently=0,
        skipped_inactive=1,
        skipped_deleted=1,
    )
    assert plan_for(selection, course, include_inactive=True) == EnrolPlan(
        enrolled=5,
        already_enrolled=2,
        told_by_email=3,
        no_email=1,
        enrolled_silently=1,
        skipped_inactive=0,
        skipped_deleted=1,
    )


def test_the_plan_is_what_enrolling_does(
    selection, course, admin_user, django_capture_on_commit_callbacks, tasks_run_at_once
):
    plan = plan_for(selection, course)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = enrollment_services.enrollments_create(
            User.objects.filter(pk__in=[p.pk for p in selection]),
            course=course,
            by=admin_user,
            reason="t",
        )
    assert outcome.created == plan.enrolled
    assert outcome.already_enrolled == plan.already_enrolled
    assert outcome.skipped_inactive == plan.skipped_inactive
    assert outcome.skipped_deleted == plan.skipped_deleted
    assert len(mail.outbox) == plan.told_by_email


def test_the_enrol_page_says_what_will_happen(client, admin_user, selection, course):
    sign_in(client, admin_user)
    first = bulk(client, "enrol_in_course", selection).content.decode()
    assert "6 active users are enrolled and told by email" not in first
    # As bulk_enrol.js asks once a course is chosen:
    answer = bulk(
        client,
        "enrol_in_course",
        selection,
        confirm=True,
        plan="yes",
        course=course.pk,
        role="StudentEnrollment",
        inactive="skip",
    )
    assert answer.json()["facts"] == [
        "4 users are enrolled: 3 told by email, 1 not told because they have no email address.",
        "2 are already enrolled and stay as they are.",
        "1 inactive users are skipped.",
        "1 deleted users are never enrolled.",
    ]
    assert course.enrollments.count() == 2  # asking changes nothing
