"""A sign-in is counted (last_login, the sign-in log), not written into the person's history."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from reports.models import SignInEvent
from tests.conftest import PASSWORD
from users import services

migration = importlib.import_module("users.migrations.0012_drop_blank_sign_in_history")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("page", ["/admin/login/", "/account/login/"])
def test_signing_in_writes_no_history_row(client, admin_user, page):
    rows = admin_user.history.count()
    response = client.post(page, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.last_login is not None
    assert SignInEvent.objects.filter(user_id=admin_user.pk).count() == 1
    assert admin_user.history.count() == rows


def blank_sign_in_row(user):
    """What every sign-in wrote before: the whole user saved for last_login alone."""
    type(user).objects.get(pk=user.pk).save(update_fields=["last_login"])


def run_migration():
    # The migration reads only the editor's connection; a real SQLite schema editor cannot
    # open inside the test's transaction.
    migration.drop_blank_sign_in_rows(apps, SimpleNamespace(connection=connection))


def test_the_migration_removes_only_rows_that_changed_nothing_but_last_login(admin_user, make_user):
    learner, other = make_user(), make_user()
    blank_sign_in_row(learner)
    services.user_update(learner, last_name="Renamed", by=admin_user, reason="Married")
    blank_sign_in_row(learner)
    blank_sign_in_row(learner)
    services.user_record_sign_in_lock(learner, by=None, reason="Sign-in paused until ...")
    services.user_deactivate(learner, by=admin_user, reason="Left")
    blank_sign_in_row(other)
    before = list(learner.history.order_by("history_date", "history_id"))
    assert len(before) == 7

    run_migration()

    after = list(learner.history.order_by("history_date", "history_id"))
    kept = [before[0], before[2], before[5], before[6]]
    assert [row.history_id for row in after] == [row.history_id for row in kept]
    assert [row.history_change_reason for row in after[1:]] == [
        "Married",
        "Sign-in paused until ...",
        "Left",
    ]
    assert other.history.count() == 1  # its creation row; the blank one is gone
    run_migration()  # running it again changes nothing
    assert learner.history.count() == 4
