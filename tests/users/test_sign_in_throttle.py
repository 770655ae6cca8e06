"""Sign-in throttle: per account from one address, per address, per account everywhere."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from lms_admin.plumbing.errors import NotPermitted
from tests.api.conftest import client_for
from tests.conftest import PASSWORD
from users import services
from users.sign_in_throttle import client_address

ADDRESS_A, ADDRESS_B, ADDRESS_C, ADDRESS_D = (
    "203.0.113.1",
    "203.0.113.2",
    "203.0.113.3",
    "203.0.113.4",
)
LOGIN_PAGES = ["/admin/login/", "/account/login/"]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SIGN_IN_LIMITS = {"account_from_address": 3, "address": 5, "account": 6}


def attempt(client, page, username, password, address):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


def pause_message(response) -> str:
    match = re.search(r"Too many failed sign-in attempts\.[^<]*", response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(0)


def user_history_reasons(user):
    return list(
        user.history.order_by("history_date", "history_id").values_list(
            "history_change_reason", flat=True
        )
    )


def test_the_default_limits_keep_owasp_asvs_per_account_cap():
    assert django_settings.SIGN_IN_LIMITS["account"] <= 100
    assert (
        django_settings.SIGN_IN_LIMITS["account_from_address"]
        < django_settings.SIGN_IN_LIMITS["account"]
    )


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_one_address_pauses_the_account_only_for_itself(client, admin_user, page):
    for _ in range(2):
        assert attempt(client, page, "admin", "wrong", ADDRESS_A).status_code == 200
    paused = attempt(client, page, "admin", "wrong", ADDRESS_A)
    assert paused.status_code == 429
    assert "try again in 60 minutes" in pause_message(paused)
    assert int(paused["Retry-After"]) > 3500
    # Even the right password is refused from that address, and nothing more is counted...
    assert attempt(client, page, "admin", PASSWORD, ADDRESS_A).status_code == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 3
    # ...while the real admin, elsewhere, signs in.
    assert attempt(client, page, "admin", PASSWORD, ADDRESS_B).status_code == 302


def test_many_addresses_pause_the_account_everywhere_and_say_so_in_its_history(client, admin_user):
    for address in (ADDRESS_A, ADDRESS_B, ADDRESS_C):
        for _ in range(2):
            attempt(client, "/admin/login/", "admin", "wrong", address)
    response = attempt(client, "/admin/login/", "admin", PASSWORD, ADDRESS_D)
    assert response.status_code == 429
    assert "try again in 60 minutes" in pause_message(response)
    reasons = [r for r in user_history_reasons(admin_user) if r and "paused" in r]
    assert len(reasons) == 1
    assert "6 failed sign-in attempts in an hour from several addresses" in reasons[0]


def test_one_address_pause_is_in_the_history_once(client, admin_user):
    for _ in range(5):
        attempt(client, "/account/login/", "admin", "wrong", ADDRESS_A)
    reasons = [r for r in user_history_reasons(admin_user) if r and "paused" in r]
    assert len(reasons) == 1
    assert f"Sign-in from {ADDRESS_A} paused until" in reasons[0]


def test_an_address_is_paused_across_accounts(client, admin_user, make_user):
    learner = make_user()
    for n in range(5):
        attempt(client, "/account/login/", f"guess{n}", "wrong", ADDRESS_A)
    assert (
        attempt(client, "/account/login/", learner.username, PASSWORD, ADDRESS_A).status_code == 429
    )
    assert (
        attempt(client, "/account/login/", learner.username, PASSWORD, ADDRESS_B).status_code == 302
    )


def test_the_message_does_not_tell_whether_the_account_exists(client, admin_user):
    for _ in range(3):
        existing = attempt(client, "/account/login/", "admin", "wrong", ADDRESS_A)
        unknown = attempt(client, "/account/login/", "nobody-here", "wrong", ADDRESS_B)
    assert existing.status_code == unknown.status_code == 429
    assert pause_message(existing) == pause_message(unknown)


def test_bad_bearer_tokens_pause_the_address_on_the_api(admin_user):
    good = client_for(admin_user)
    bad = APIClient()
    for _ in range(4):
        response = bad.get(
            "/api/v1/users/self", HTTP_AUTHORIZATION="Bearer lms_guess", REMOTE_ADDR=ADDRESS_A
        )
        assert response.status_code == 401
    paused = bad.get("/api/v1/users/self", {"access_token": "lms_guess"}, REMOTE_ADDR=ADDRESS_A)
    assert paused.status_code == 429
    assert "try again in 60 minutes" in paused.json()["errors"][0]["message"]
    assert int(paused["Retry-After"]) > 3500
    # A paused address may not try tokens at all, good ones included.
    assert good.get("/api/v1/users/self", REMOTE_ADDR=ADDRESS_A).status_code == 429
    assert good.get("/api/v1/users/self", REMOTE_ADDR=ADDRESS_B).status_code == 200
    # The guessed token is not kept in the attempts table.
    assert "lms_guess" not in "".join(AccessAttempt.objects.values_list("get_data", flat=True))


def test_an_admin_lifts_the_pause_from_the_card(client, admin_user, make_user):
    learner = make_user()
    other = make_user()
    for _ in range(3):
        attempt(client, "/account/login/", learner.username, "wrong", ADDRESS_A)
    client.force_login(admin_user)
    card = client.get(f"/admin/users/user/{learner.pk}/change/").content.decode()
    assert "Sign-in paused" in card and "Lift the pause" in card
    assert "<script>" not in card.split('id="sign-in-pause"')[1].split("</section>")[0]
    assert (
        'id="sign-in-pause"'
        not in client.get(f"/admin/users/user/{other.pk}/change/").content.decode()
    )
    response = client.post(
        f"/admin/users/user/{learner.pk}/unlock-sign-in/", {"reason": "Checked by phone"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=learner.username).exists()
    assert user_history_reasons(learner)[-1] == (
        "Sign-in pause lifted (3 failed attempts forgotten): Checked by phone"
    )
    assert learner.history.latest().history_user == admin_user
    client.logout()
    assert (
        attempt(client, "/account/login/", learner.username, PASSWORD, ADDRESS_A).status_code == 302
    )


def test_a_power_user_lifts_pauses_of_their_own_people_only(client, power_user, partner, make_user):
    own = make_user(organisation=partner)
    foreign = make_user()
    for person in (own, foreign):
        for _ in range(3):
            attempt(client, "/account/login/", person.username, "wrong", ADDRESS_A)
    client.force_login(power_user)
    assert client.post(f"/admin/users/user/{foreign.pk}/unlock-sign-in/").status_code == 404
    assert AccessAttempt.objects.filter(username=foreign.username).exists()
    assert client.post(f"/admin/users/user/{own.pk}/unlock-sign-in/").status_code == 302
    assert not AccessAttempt.objects.filter(username=own.username).exists()
    with pytest.raises(NotPermitted):
        services.user_unlock_sign_in(foreign, by=power_user, reason="Not mine")


def test_unlocking_an_account_without_failures_writes_nothing(admin_user, make_user):
    learner = make_user()
    rows = learner.history.count()
    assert services.user_unlock_sign_in(learner, by=admin_user, reason="Just in case") == 0
    assert learner.history.count() == rows


def test_forwarded_addresses_are_trusted_only_behind_the_configured_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_address(request) == "127.0.0.1"
    settings.SIGN_IN_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.7"
