"""The toggle on the users page and the user card: deactivate and reactivate with a reset
link or a temporary password, stale toggles, permissions, the card history and revert."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.users.helpers import sign_in
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db


# The toggle ---------------------------------------------------------------------------


def toggle(client, user, **data):
    return client.post(
        reverse("admin:users_user_toggle", args=[user.pk]),
        {"expected_status": user.status, **data},
        HTTP_ACCEPT="application/json",
    )


def test_toggle_off_and_on_with_a_reset_link(
    client, admin_user, make_user, django_capture_on_commit_callbacks
):
    learner = make_user(email="jo.smith@example.com")
    sign_in(client, admin_user)

    response = toggle(client, learner, reason="Long-term leave")
    assert response.status_code == 200
    assert response.json()["status"] == "inactive"
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.history.first().history_change_reason == "Long-term leave"

    with django_capture_on_commit_callbacks(execute=True):
        response = toggle(client, learner)
    data = response.json()
    assert data["status"] == "active"
    assert "Password reset link sent to j…@e…" in data["message"]
    assert mail.outbox[-1].to == ["jo.smith@example.com"]


def test_toggle_on_without_email_shows_the_temporary_password(client, admin_user, make_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="t")
    learner.refresh_from_db()
    sign_in(client, admin_user)
    data = toggle(client, learner).json()
    assert len(data["temporary_password"]) == 12
    assert data["expires_label"]
    assert client.logout() is None
    assert client.login(username=learner.username, password=data["temporary_password"])


def test_toggle_without_javascript_uses_a_confirmation_page(client, admin_user, make_user):
    learner = make_user()
    sign_in(client, admin_user)
    url = reverse("admin:users_user_toggle", args=[learner.pk])
    page = client.get(url).content.decode()
    assert "They lose access at once; their enrolments and history are kept." in page
    response = client.post(url, {"expected_status": "active", "reason": "Left"})
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE


def test_a_stale_toggle_is_refused(client, admin_user, make_user):
    learner = make_user()
    sign_in(client, admin_user)
    services.user_deactivate(learner, by=admin_user, reason="Someone else")
    response = client.post(
        reverse("admin:users_user_toggle", args=[learner.pk]),
        {"expected_status": "active"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert "Someone else changed" in response.json()["error"]
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE


def test_toggle_needs_permission_and_csrf(client, manager, make_user, admin_user):
    learner = make_user()
    sign_in(client, manager)
    assert toggle(client, learner).status_code == 403
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, admin_user)
    response = strict.post(reverse("admin:users_user_toggle", args=[learner.pk]))
    assert response.status_code == 403
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


def test_power_user_cannot_toggle_another_organisation(client, power_user, make_user):
    learner = make_user()
    sign_in(client, power_user)
    assert toggle(client, learner).status_code == 404


# The user card ------------------------------------------------------------------------


def test_card_shows_training_history_for_an_inactive_user(
    client, admin_user, make_user, enrolled_in_every_state
):
    learner = make_user()
    enrolled_in_every_state(learner)
    services.user_deactivate(learner, by=admin_user, reason="Left the company")
    sign_in(client, admin_user)
    response = client.get(reverse("admin:users_user_change", args=[learner.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for state in ("Invited", "Active", "Inactive", "Completed", "Deleted"):
        assert f">{state}</span>" in page
    assert "Left the company" in page
    assert "Active → Inactive" in page
    assert response.context["training_history"].count() == 5


def test_card_history_shows_diffs_and_a_change_can_be_reverted(client, admin_user, make_user):
    learner = make_user(email="old@example.com")
    services.user_update(learner, by=admin_user, reason="Typo", email="new@example.com")
    sign_in(client, admin_user)
    response = client.get(reverse("admin:users_user_change", args=[learner.pk]))
    change = response.context["changes"][0]
    assert change.reason == "Typo"
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("email", "old@example.com", "new@example.com")
    ]
    response = client.post(reverse("admin:users_user_revert", args=[learner.pk, change.history_id]))
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.email == "old@example.com"
    assert learner.history.first().history_change_reason == f"Reverted change {change.history_id}"


def test_reverting_a_deactivation_reactivates_through_the_service(client, admin_user, make_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="Mistake")
    record = learner.history.first()
    sign_in(client, admin_user)
    response = client.post(reverse("admin:users_user_revert", args=[learner.pk, record.history_id]))
    assert response.status_code == 200  # shows the temporary password, once
    assert "Temporary password" in response.content.decode()
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
