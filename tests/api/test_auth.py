"""Tokens: shown once, stored hashed, expiring, revocable, dead with their user's access."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from lms_admin.plumbing.errors import DomainError
from tests.api.conftest import client_for
from users import services
from users.models import AccessToken
from users.tokens import token_create, token_revoke

ME = "/api/v1/users/self"


def assert_401(response, message):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    assert response.json()["errors"] == [{"message": message}]


def test_no_token_gets_401_with_www_authenticate(db):
    assert_401(APIClient().get(ME), "user authorization required")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b", "Bearer lms_x"])
def test_a_bad_token_gets_401(db, header):
    assert_401(APIClient().get(ME, HTTP_AUTHORIZATION=header), "Invalid access token.")


def test_a_good_token_works_and_is_stored_only_as_a_digest(api, admin_user):
    response = api.get(ME)
    assert response.status_code == 200
    assert response.json()["login_id"] == "admin"
    token = AccessToken.objects.get(user=admin_user)
    assert token.key_digest == hashlib.sha256(api.secret.encode()).hexdigest()
    assert api.secret not in str(AccessToken.objects.values_list().get())
    assert token.hint == api.secret[-4:]
    assert token.last_used_at is not None


def test_canvas_access_token_parameter_works(api):
    assert APIClient().get(ME, {"access_token": api.secret}).status_code == 200


def test_an_expired_token_gets_401(api, admin_user):
    AccessToken.objects.filter(user=admin_user).update(expires_at=timezone.now())
    assert_401(api.get(ME), "Invalid access token.")


def test_a_revoked_token_gets_401_and_revocation_is_recorded(api, admin_user):
    token = AccessToken.objects.get(user=admin_user)
    token_revoke(token, by=admin_user, reason="Leaked in a log")
    assert_401(api.get(ME), "Invalid access token.")
    assert token.history.latest().history_change_reason == "Leaked in a log"


def test_deactivation_ends_the_token_at_once_and_reactivation_does_not_revive_it(
    admin_user, make_user
):
    user = make_user()
    client = client_for(user)
    assert client.get(ME).status_code == 200
    services.user_deactivate(user, by=admin_user, reason="Left")
    assert_401(client.get(ME), "Invalid access token.")
    services.user_reactivate(user, by=admin_user, reason="Back")
    assert_401(client.get(ME), "Invalid access token.")
    assert client_for(user).get(ME).status_code == 200


def test_deletion_ends_the_token(admin_user, make_user):
    user = make_user()
    client = client_for(user)
    services.user_delete(user, by=admin_user, reason="Erasure request")
    assert_401(client.get(ME), "Invalid access token.")


def test_token_rules(admin_user, make_user):
    user = make_user()
    with pytest.raises(DomainError, match="between 1 and 3650 days"):
        token_create(user, by=admin_user, reason="x", expires_in_days=0)
    services.user_deactivate(user, by=admin_user, reason="Left")
    with pytest.raises(DomainError, match="only active users"):
        token_create(user, by=admin_user, reason="x")


def test_create_token_command_prints_a_working_token(admin_user):
    out, err = StringIO(), StringIO()
    call_command("create_token", "admin", "--expires-in", "7", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert "not shown again" in err.getvalue()
    token = AccessToken.objects.get(user=admin_user)
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_profile_page_creates_a_token_shown_once_and_revokes_it(client, make_user):
    user = make_user(is_staff=True)
    client.force_login(user)
    response = client.post("/account/tokens/", {"purpose": "sync", "expires_in_days": 30})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("lms_")
    api = APIClient()
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert secret not in client.get("/account/tokens/").content.decode()
    token = AccessToken.objects.get(user=user)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_nobody_revokes_someone_elses_token_on_the_profile_page(client, api, make_user):
    other = make_user(is_staff=True)
    client.force_login(other)
    token = AccessToken.objects.get(user__username="admin")
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404


def test_admin_creates_a_token_for_a_user_and_revokes_it(client, admin_user, make_user):
    user = make_user()
    client.force_login(admin_user)
    response = client.post(
        "/admin/users/accesstoken/add/",
        {"user": user.pk, "purpose": "HR sync", "expires_in_days": 90},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("will not be shown again" in m for m in shown)
    token = AccessToken.objects.get(user=user)
    assert token.created_by == admin_user
    response = client.post(
        "/admin/users/accesstoken/",
        {"action": "revoke_selected", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_managers_cannot_reach_the_token_admin(client, manager):
    client.force_login(manager)
    assert client.get("/admin/users/accesstoken/").status_code == 403
