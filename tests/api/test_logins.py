"""Logins, ending sessions, sign-in events, profiles and channels through the API."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from users.models import AccessToken, AuthenticationEvent, User, UserSession
from users.services import authentication_events_purge


def sign_in(username, address="203.0.113.9"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/account/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_a_users_logins_are_their_username_and_sis_id(api, learner):
    response = api.get(f"/api/v1/users/{learner.pk}/logins")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": learner.pk,
            "user_id": learner.pk,
            "account_id": learner.organisation_id,
            "unique_id": "jdoe",
            "sis_user_id": "S-1",
            "integration_id": None,
            "authentication_provider_id": None,
            "authentication_provider_type": None,
            "created_at": response.json()[0]["created_at"],
            "workflow_state": "active",
        }
    ]


def test_suspending_the_only_login_deactivates_the_person_with_history(api, learner):
    url = f"/api/v1/accounts/{learner.organisation_id}/logins/{learner.pk}"
    response = api.put(url, {"login": {"workflow_state": "suspended"}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["workflow_state"] == "suspended"
    learner.refresh_from_db()
    assert learner.status == "inactive"
    assert learner.history.first().history_change_reason == (
        "API: PUT /api/v1/accounts/:account_id/logins/:login_id (login suspended)"
    )
    response = api.put(url, {"login": {"workflow_state": "active"}}, format="json")
    assert response.json()["workflow_state"] == "active"
    assert User.objects.get(pk=learner.pk).status == "active"


def test_editing_a_login_changes_username_sis_id_and_password_or_nothing(api, learner):
    url = f"/api/v1/accounts/{learner.organisation_id}/logins/{learner.pk}"
    response = api.put(
        url, {"login[unique_id]": "jane.doe", "login[sis_user_id]": "S-9", "login[password]": "x"}
    )
    assert response.status_code == 400  # the password is too short: nothing changes
    learner.refresh_from_db()
    assert (learner.username, learner.sis_user_id) == ("jdoe", "S-1")
    response = api.put(
        url,
        {
            "login[unique_id]": "jane.doe",
            "login[sis_user_id]": "S-9",
            "login[password]": "a long and fine passphrase",
        },
    )
    assert response.status_code == 200, response.content
    learner.refresh_from_db()
    assert (learner.username, learner.sis_user_id) == ("jane.doe", "S-9")
    assert learner.check_password("a long and fine passphrase")


def test_a_bad_workflow_state_is_a_canvas_error(api, learner):
    url = f"/api/v1/accounts/{learner.organisation_id}/logins/{learner.pk}"
    response = api.put(url, {"login": {"workflow_state": "frozen"}}, format="json")
    assert response.status_code == 400
    assert "active or suspended" in response.json()["errors"][0]["message"]


def test_the_last_login_cannot_be_deleted_nor_a_second_created(api, learner):
    response = api.delete(f"/api/v1/users/{learner.pk}/logins/{learner.pk}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Users must have at least one login"
    assert api.delete(f"/api/v1/users/{learner.pk}/logins/999999").status_code == 404
    response = api.post(
        f"/api/v1/accounts/{learner.organisation_id}/logins",
        {"user": {"id": learner.pk}, "login": {"unique_id": "second"}},
        format="json",
    )
    assert response.status_code == 400
    assert "already has a login" in response.json()["errors"][0]["message"]


def test_account_logins_list_the_accounts_people(api, learner, admin_user):
    response = api.get(f"/api/v1/accounts/{learner.organisation_id}/logins?per_page=100")
    assert {row["unique_id"] for row in response.json()} >= {"jdoe", "admin"}


def test_a_managers_token_reads_logins_and_never_writes(manager_api, learner):
    assert manager_api.get(f"/api/v1/users/{learner.pk}/logins").status_code == 200
    response = manager_api.put(
        f"/api/v1/accounts/{learner.organisation_id}/logins/{learner.pk}",
        {"login": {"workflow_state": "suspended"}},
        format="json",
    )
    assert response.status_code == 401 or response.status_code == 403
    assert response.json()["errors"][0]["message"] == "user not authorized to perform that action"
    assert manager_api.delete(f"/api/v1/users/{learner.pk}/sessions").status_code in (401, 403)
    assert User.objects.get(pk=learner.pk).status == "active"


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_out_are_recorded_with_the_address(roles, organisation, make_user, api):
    learner = make_user(username="walker")
    client = sign_in("walker", address="198.51.100.7")
    client.post("/account/logout/")
    events = list(AuthenticationEvent.objects.filter(user=learner).order_by("at", "id"))
    assert [(e.event_type, e.address) for e in events] == [
        ("login", "198.51.100.7"),
        ("logout", "198.51.100.7"),
    ]
    response = api.get(f"/api/v1/audit/authentication/users/{learner.pk}")
    assert [row["event_type"] for row in response.json()] == ["logout", "login"]
    assert response.json()[0]["ip_address"] == "198.51.100.7"
    assert 'rel="current"' in response["Link"]
    account = api.get(f"/api/v1/audit/authentication/accounts/{organisation.pk}")
    assert {row["user_id"] for row in account.json()} == {learner.pk}


def test_terminating_sessions_ends_sessions_and_tokens(
    api, learner, django_capture_on_commit_callbacks
):
    from tests.api.conftest import client_for

    with django_capture_on_commit_callbacks(execute=True):
        sign_in("jdoe")
    learner_api = client_for(learner)
    assert UserSession.objects.filter(user=learner).exists()
    response = api.delete(f"/api/v1/users/{learner.pk}/sessions")
    assert response.status_code == 200
    assert response.json() == "ok"
    assert not UserSession.objects.filter(user=learner).exists()
    assert not AccessToken.objects.filter(user=learner, revoked_at__isnull=True).exists()
    assert learner_api.get("/api/v1/users/self").status_code == 401
    assert "All sessions ended" in learner.history.first().history_change_reason


def test_events_past_the_retention_period_are_purged(learner, settings):
    settings.AUTHENTICATION_EVENT_RETENTION_DAYS = 30
    old = AuthenticationEvent.objects.create(
        user=learner, event_type="login", at=timezone.now() - timedelta(days=31)
    )
    recent = AuthenticationEvent.objects.create(user=learner, event_type="login")
    assert authentication_events_purge() == 1
    assert list(AuthenticationEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AuthenticationEvent.objects.filter(pk=old.pk).exists()


def test_the_user_card_shows_recent_sign_ins(admin_client_for_card, learner):
    AuthenticationEvent.objects.create(user=learner, event_type="login", address="192.0.2.44")
    page = admin_client_for_card.get(f"/admin/users/user/{learner.pk}/change/")
    assert page.status_code == 200
    assert b"Recent sign-ins" in page.content and b"192.0.2.44" in page.content


@pytest.fixture
def admin_client_for_card(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_profile_and_channels(api, learner):
    profile = api.get(f"/api/v1/users/{learner.pk}/profile").json()
    assert (profile["name"], profile["primary_email"], profile["login_id"]) == (
        "Jane Doe",
        learner.email,
        "jdoe",
    )
    channels = api.get(f"/api/v1/users/{learner.pk}/communication_channels").json()
    assert channels == [
        {
            "id": learner.pk,
            "address": learner.email,
            "type": "email",
            "position": 1,
            "user_id": learner.pk,
            "workflow_state": "active",
        }
    ]


def test_a_power_user_reaches_only_their_organisation(power_api, learner):
    for url in (
        f"/api/v1/users/{learner.pk}/logins",
        f"/api/v1/users/{learner.pk}/profile",
        f"/api/v1/users/{learner.pk}/communication_channels",
        f"/api/v1/audit/authentication/users/{learner.pk}",
        f"/api/v1/audit/authentication/accounts/{learner.organisation_id}",
    ):
        response = power_api.get(url)
        assert response.status_code == 404, url
        assert response.json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }
    assert power_api.delete(f"/api/v1/users/{learner.pk}/sessions").status_code == 404
