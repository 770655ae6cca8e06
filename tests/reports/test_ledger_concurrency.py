"""The figures ledger stays exact when a person's enrolment and their deactivation happen at
the same moment, in either order (PostgreSQL, where writers run side by side).

One transaction enrols a learner and waits before committing; another deactivates them
meanwhile, singly or in bulk. Whichever goes first, the live figures from the ledger must
then equal the figures counted from the tables.
"""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from reports.selectors.analytics import analytics_scan
from reports.selectors.figures import analytics
from users import services
from users.models import User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("SQLite runs one writer at a time: nothing happens side by side there"),
]


def _in_thread(action, errors):
    def run():
        try:
            action()
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _enrol_then_wait(learner, course, admin, started: threading.Event, release: threading.Event):
    with transaction.atomic():
        enrollment_services.enrollment_create(
            user=User.objects.get(pk=learner.pk),
            course=course,
            state=EnrollmentState.COMPLETED,
            notify=False,
            by=admin,
            reason="Enrolled at the same moment",
        )
        started.set()
        assert release.wait(20)


def _deactivate(learner, admin, bulk: bool):
    if bulk:
        services.users_deactivate(User.objects.filter(pk=learner.pk), by=admin, reason="Left")
    else:
        services.user_deactivate(User.objects.get(pk=learner.pk), by=admin, reason="Left")


def _deactivate_then_wait(learner, admin, bulk, started, release):
    with transaction.atomic():
        _deactivate(learner, admin, bulk)
        started.set()
        assert release.wait(20)


def _assert_ledger_equals_tables(admin):
    assert list(analytics(person=admin, filters={}).rows()) == list(
        analytics_scan(person=admin, filters={}).rows()
    )


@pytest.mark.parametrize("bulk", [False, True], ids=["single", "bulk"])
@pytest.mark.parametrize("first", ["enrolment", "deactivation"])
def test_enrolment_and_deactivation_at_once_keep_the_ledger_exact(
    make_user, course, admin_user, bulk, first
):
    learner = make_user()
    started, release, errors = threading.Event(), threading.Event(), []
    if first == "enrolment":
        holder = _in_thread(
            lambda: _enrol_then_wait(learner, course, admin_user, started, release), errors
        )
        assert started.wait(20)
        other = _in_thread(lambda: _deactivate(learner, admin_user, bulk), errors)
    else:
        holder = _in_thread(
            lambda: _deactivate_then_wait(learner, admin_user, bulk, started, release), errors
        )
        assert started.wait(20)
        other = _in_thread(
            lambda: _enrol_then_wait(learner, course, admin_user, threading.Event(), release),
            errors,
        )
    # The second writer is now waiting for the first one's locks (or would have read a
    # stale share without them); let the first commit.
    other.join(1)
    release.set()
    holder.join(30)
    other.join(30)
    assert not errors, errors
    assert User.objects.get(pk=learner.pk).is_active is False
    _assert_ledger_equals_tables(admin_user)
