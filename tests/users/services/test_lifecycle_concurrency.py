"""Two admins acting on the same user at the same moment: row locks, no lost update."""

import threading

import pytest
from django.db import close_old_connections, connection

from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*actions):
    barrier = threading.Barrier(len(actions))
    errors = []

    def worker(action):
        try:
            barrier.wait()
            action()
        except Exception as error:  # reported below, with the thread's own traceback lost
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_two_deactivations_at_once_write_one_history_row(make_user, admin_user):
    learner = make_user()
    before = User.history.filter(id=learner.pk).count()

    run_together(
        lambda: services.user_deactivate(
            User.objects.get(pk=learner.pk), by=admin_user, reason="First admin"
        ),
        lambda: services.user_deactivate(
            User.objects.get(pk=learner.pk), by=admin_user, reason="Second admin"
        ),
    )

    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE
    rows = User.history.filter(id=learner.pk)
    assert rows.count() == before + 1
    assert rows.first().history_change_reason in {"First admin", "Second admin"}


def test_an_edit_and_a_deactivation_at_once_lose_nothing(make_user, admin_user):
    learner = make_user()
    before = User.history.filter(id=learner.pk).count()

    run_together(
        lambda: services.user_update(
            User.objects.get(pk=learner.pk),
            by=admin_user,
            reason="New email",
            email="changed@example.com",
        ),
        lambda: services.user_deactivate(
            User.objects.get(pk=learner.pk), by=admin_user, reason="Left"
        ),
    )

    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.email == "changed@example.com"
    assert User.history.filter(id=learner.pk).count() == before + 2
