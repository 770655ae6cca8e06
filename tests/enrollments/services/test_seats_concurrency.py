"""Two tabs starting at the same moment consume one seat (two connections, two threads).
Meaningful on PostgreSQL, where the rows are locked; SQLite runs one writer at a time."""

import pytest
from django.db import connection

from enrollments import services
from enrollments.models import Enrollment, LedgerKind, SeatCreditEntry
from enrollments.selectors import seats_used
from lms_admin.plumbing.errors import DomainError
from tests.users.services.test_lifecycle_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_tabs_starting_the_same_course_use_one_seat(course, make_user, admin_user):
    learner = make_user()
    enrollment = services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")

    def start():
        services.enrollment_start(Enrollment.objects.get(pk=enrollment.pk), by=learner)

    run_together(start, start)

    assert seats_used(learner.organisation) == 1
    assert (
        Enrollment.history.filter(
            id=enrollment.pk, history_change_reason__contains="Started"
        ).count()
        == 1
    )


def test_two_courses_started_at_once_use_one_seat_and_the_last_seat_once(
    course, make_user, admin_user, organisation
):
    organisation.seat_limit = 1
    organisation.save()
    other = services.course_create(
        code="FIRE", name="Fire", organisation=organisation, by=admin_user, reason="t"
    )
    learner, rival = make_user(), make_user()
    mine = [
        services.enrollment_create(user=learner, course=c, by=admin_user, reason="t")
        for c in (course, other)
    ]
    theirs = services.enrollment_create(user=rival, course=course, by=admin_user, reason="t")
    refused = []

    def start(enrollment, person):
        def go():
            try:
                services.enrollment_start(Enrollment.objects.get(pk=enrollment.pk), by=person)
            except DomainError:
                refused.append(person.pk)

        return go

    run_together(start(mine[0], learner), start(mine[1], learner), start(theirs, rival))

    assert SeatCreditEntry.objects.filter(kind=LedgerKind.SEAT).count() == 1
    holder = SeatCreditEntry.objects.get(kind=LedgerKind.SEAT).user_id
    if holder == learner.pk:
        assert refused == [rival.pk]
    else:
        assert refused == [learner.pk, learner.pk]
    assert connection.vendor in {"postgresql", "sqlite"}
