"""Notices to learners (enrolment, invitation, certificate issued) go through the task
queue after commit, and never to inactive or deleted people, one at a time or in bulk."""

import pytest
from django.core import mail

from enrollments import services
from enrollments.models import EnrollmentState
from users import services as user_services
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, admin_user):
    active, inactive, deleted = make_user(), make_user(), make_user()
    user_services.user_deactivate(inactive, by=admin_user, reason="t")
    user_services.user_delete(deleted, by=admin_user, reason="t")
    mail.outbox.clear()
    return active, inactive, deleted


def test_enrolment_notice_is_queued_after_commit_and_only_for_active_people(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    active, inactive, _ = people
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.enrollment_create(user=active, course=course, by=admin_user, reason="t")
        services.enrollment_create(user=inactive, course=course, by=admin_user, reason="t")
    assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[active.email]]
    assert "enrolled in Safety basics" in mail.outbox[0].subject
    assert "/learn/" in mail.outbox[0].body


def test_enrolment_notice_skips_someone_deactivated_before_the_task_runs(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    active = people[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.enrollment_create(user=active, course=course, by=admin_user, reason="t")
    user_services.user_deactivate(active, by=admin_user, reason="Left")
    for callback in callbacks:
        callback()
    assert mail.outbox == []


def test_bulk_enrolment_notices_reach_active_people_only(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    active, inactive, deleted = people
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.enrollments_create(
            User.objects.filter(pk__in=[active.pk, inactive.pk, deleted.pk]),
            course=course,
            include_inactive=True,
            by=admin_user,
            reason="t",
        )
    assert outcome.created == 2  # the inactive person is enrolled, silently
    assert [m.to for m in mail.outbox] == [[active.email]]


def test_invitation_notice_only_for_active_people(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    active, inactive, _ = people
    with django_capture_on_commit_callbacks(execute=True):
        for person in (active, inactive):
            services.enrollment_create(
                user=person,
                course=course,
                state=EnrollmentState.INVITED,
                by=admin_user,
                reason="t",
            )
    assert [m.to for m in mail.outbox] == [[active.email]]
    assert mail.outbox[0].subject == "You are invited to Safety basics"


def test_certificate_notice_only_for_active_people(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    active, inactive, _ = people
    enrollments = [
        services.enrollment_create(
            user=person, course=course, state="completed", by=admin_user, reason="t"
        )
        for person in (active, inactive)
    ]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        certificates = [
            services.certificate_issue(e, by=admin_user, reason="Passed") for e in enrollments
        ]
    assert [m.to for m in mail.outbox] == [[active.email]]
    assert certificates[0].verification_code in mail.outbox[0].body


def test_notices_are_not_sent_when_the_transaction_rolls_back(
    course, people, admin_user, tasks_run_at_once, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.enrollment_create(user=people[0], course=course, by=admin_user, reason="t")
        raise RuntimeError
    assert callbacks == [] and mail.outbox == []
