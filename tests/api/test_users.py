"""Accounts and users: Canvas's shapes, SIS ids, services behind every change, scoping."""

import pytest
from django.core import mail

from enrollments.models import Enrollment
from users import services
from users.models import Organisation, User

ACME = "/api/v1/accounts/sis_account_id:ACME"


@pytest.fixture
def branch(organisation):
    return Organisation.objects.create(
        name="Acme North", slug="acme-north", sis_account_id="ACME-N", parent=organisation
    )


def test_accounts_list_detail_and_sub_accounts(api, organisation, branch, partner):
    listed = api.get("/api/v1/accounts").json()
    assert {row["name"] for row in listed} == {"Acme Training", "Partner Ltd"}
    north = api.get("/api/v1/accounts/sis_account_id:ACME-N").json()
    assert north["parent_account_id"] == organisation.pk
    assert north["root_account_id"] == organisation.pk
    assert north["sis_account_id"] == "ACME-N"
    subs = api.get(f"{ACME}/sub_accounts").json()
    assert [row["id"] for row in subs] == [branch.pk]
    assert api.get(f"/api/v1/accounts/{branch.pk}/sub_accounts?recursive=true").json() == []


def test_power_user_sees_only_their_organisation(power_api, power_user, partner, make_user):
    acme_learner = make_user(sis_user_id="A-1")
    assert [row["id"] for row in power_api.get("/api/v1/accounts").json()] == [partner.pk]
    for url in (
        ACME,
        f"{ACME}/users",
        "/api/v1/users/sis_user_id:A-1",
        f"/api/v1/users/{acme_learner.pk}",
    ):
        response = power_api.get(url)
        assert response.status_code == 404, url
        assert response.json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }
    response = power_api.put(f"/api/v1/users/{acme_learner.pk}", {"user[event]": "suspend"})
    assert response.status_code == 404
    assert User.objects.get(pk=acme_learner.pk).status == "active"
    mine = power_api.get("/api/v1/accounts/sis_account_id:PART/users").json()
    assert [row["login_id"] for row in mine] == ["power"]


def test_user_json_and_every_id_form(api, make_user):
    user = make_user(username="jdoe", sis_user_id="S 1/x", first_name="Jane", last_name="Doe")
    for ident in (
        str(user.pk),
        "sis_user_id:S%201%2Fx",
        "sis_user_id%3AS%201%2Fx",
        "sis_user_id:S%201/x",  # a client that does not escape the slash works too
        "sis_login_id:jdoe",
        "sis_login_id%3Ajdoe",
    ):
        for suffix in ("", "/history", "/enrollments"):
            response = api.get(f"/api/v1/users/{ident}{suffix}")
            assert response.status_code == 200, ident + suffix
        assert api.get(f"/api/v1/users/{ident}").json()["id"] == user.pk
    data = api.get("/api/v1/users/sis_login_id:jdoe").json()
    assert data["name"] == "Jane Doe"
    assert data["sortable_name"] == "Doe, Jane"
    assert data["short_name"] == "Jane"
    assert data["login_id"] == "jdoe"
    assert data["sis_user_id"] == "S 1/x"
    assert data["workflow_state"] == "active"
    assert data["created_at"].endswith("Z")
    assert api.get("/api/v1/users/sis_user_id%3AS%201").status_code == 404
    for bad in ("0", "99999999999999999999999", "nope:1", "sis_user_id:"):
        assert api.get(f"/api/v1/users/{bad}").status_code == 404, bad


def test_list_users_search_sort_order_and_states(api, make_user, admin_user):
    make_user(username="zed", first_name="Zed", last_name="Adams")
    gone = make_user(username="gone", first_name="Gone", last_name="Zulu")
    sleeper = make_user(username="sleeper", first_name="Sam", last_name="Sleep")
    services.user_delete(gone, by=admin_user, reason="Test")
    services.user_deactivate(sleeper, by=admin_user, reason="Test")

    def logins(**params):
        response = api.get(f"{ACME}/users", params)
        assert response.status_code == 200, response.json()
        return [row["login_id"] for row in response.json()]

    assert logins() == ["zed", "admin", "sleeper"]
    assert logins(sort="login_id") == ["admin", "sleeper", "zed"]
    assert logins(sort="login_id", order="desc") == ["zed", "sleeper", "admin"]
    assert logins(include_deleted_users="true") == ["zed", "admin", "sleeper", "gone"]
    assert logins(**{"state[]": ["inactive", "deleted"]}) == ["sleeper", "gone"]
    assert logins(**{"state[]": "all"}) == ["zed", "admin", "sleeper", "gone"]
    assert logins(search_term="sleep") == ["sleeper"]
    assert logins(search_term="sam sle") == ["sleeper"]
    for params, attribute in (
        ({"state[]": "asleep"}, "state[]"),
        ({"sort": "height"}, "sort"),
        ({"search_term": "a"}, "search_term"),
        ({"include_deleted_users": "maybe"}, None),
    ):
        response = api.get(f"{ACME}/users", params)
        if attribute is None:
            assert response.status_code in (200, 400)
            continue
        assert response.status_code == 400, params
        error = response.json()["errors"][0]
        assert error["attribute"] == attribute
    assert (
        "asleep" in api.get(f"{ACME}/users", {"state[]": "asleep"}).json()["errors"][0]["message"]
    )


@pytest.mark.parametrize("format", ["multipart", "json"])
def test_create_user_form_or_json(api, organisation, admin_user, format):
    body = {
        "user": {"name": "Mary Ann Smith"},
        "pseudonym": {"unique_id": "mas", "sis_user_id": "S-9"},
        "communication_channel": {"type": "email", "address": "mas@example.com"},
    }
    if format == "multipart":
        body = {
            "user[name]": "Mary Ann Smith",
            "pseudonym[unique_id]": "mas",
            "pseudonym[sis_user_id]": "S-9",
            "communication_channel[address]": "mas@example.com",
        }
        response = api.post(f"{ACME}/users", body)
    else:
        response = api.post(f"{ACME}/users", body, format="json")
    assert response.status_code == 200, response.json()
    user = User.objects.get(username="mas")
    assert (user.first_name, user.last_name, user.email, user.sis_user_id) == (
        "Mary Ann",
        "Smith",
        "mas@example.com",
        "S-9",
    )
    assert user.organisation == organisation
    row = user.history.latest()
    assert (row.history_user, row.history_change_reason) == (
        admin_user,
        "API: POST /api/v1/accounts/:account_id/users",
    )


def test_create_user_bad_input(api, make_user):
    make_user(username="taken", sis_user_id="S-T")
    response = api.post(f"{ACME}/users", {"user[name]": "X"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attribute"] == "pseudonym[unique_id]"
    response = api.post(f"{ACME}/users", {"pseudonym[unique_id]": "taken"})
    assert response.status_code == 400
    assert "This username is not available." in response.json()["errors"][0]["message"]
    response = api.post(
        f"{ACME}/users", {"pseudonym[unique_id]": "x", "pseudonym[sis_user_id]": "S-T"}
    )
    assert response.status_code == 400
    assert "SIS user ID" in response.json()["errors"][0]["message"]


def test_put_edits_name_and_email_through_the_service(api, make_user, admin_user):
    user = make_user()
    response = api.put(
        f"/api/v1/users/{user.pk}", {"user[name]": "Lee Jones", "user[email]": "lee@example.org"}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Lee", "Jones", "lee@example.org")
    assert user.history.latest().history_change_reason == "API: PUT /api/v1/users/:user_id"
    response = api.put(f"/api/v1/users/{user.pk}", {"user[event]": "hibernate"})
    assert response.status_code == 400
    assert "hibernate" in response.json()["errors"][0]["message"]


def test_suspend_and_unsuspend_keep_enrollments_and_send_a_reset_link(
    api, make_user, enrolled_in_every_state, admin_user, django_capture_on_commit_callbacks
):
    user = make_user()
    enrollments = enrolled_in_every_state(user)
    before = dict(Enrollment.objects.filter(user=user).values_list("id", "state"))
    response = api.put(f"/api/v1/users/{user.pk}", {"user": {"event": "suspend"}}, format="json")
    assert response.json()["status"] == "inactive"
    assert dict(Enrollment.objects.filter(user=user).values_list("id", "state")) == before
    with django_capture_on_commit_callbacks(execute=True):
        response = api.put(f"/api/v1/users/{user.pk}", {"user[event]": "unsuspend"})
    data = response.json()
    assert data["status"] == "active"
    assert data["login_credentials"]["reset_link_sent_to"] == "l…@e…"
    assert dict(Enrollment.objects.filter(user=user).values_list("id", "state")) == before
    assert len(enrollments) == 5
    assert mail.outbox[-1].to == [user.email]


def test_unsuspend_without_email_returns_a_temporary_password_once(api, make_user, admin_user):
    user = make_user(email="")
    services.user_deactivate(user, by=admin_user, reason="Test")
    data = api.put(f"/api/v1/users/{user.pk}", {"user[event]": "unsuspend"}).json()
    assert len(data["login_credentials"]["temporary_password"]) == 12
    assert api.get(f"/api/v1/users/{user.pk}").json().get("login_credentials") is None


def test_delete_and_restore_through_the_services(api, make_user, enrolled_in_every_state):
    user = make_user()
    enrolled_in_every_state(user)
    before = dict(Enrollment.objects.filter(user=user).values_list("id", "state"))
    response = api.delete(f"{ACME}/users/{user.pk}")
    assert response.status_code == 200
    assert response.json()["workflow_state"] == "deleted"
    assert set(Enrollment.objects.filter(user=user).values_list("state", flat=True)) == {"deleted"}
    response = api.put(f"{ACME}/users/sis_login_id:{user.username}/restore")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert dict(Enrollment.objects.filter(user=user).values_list("id", "state")) == before


def test_delete_refuses_yourself_and_other_accounts(api, admin_user, partner, make_user):
    response = api.delete(f"{ACME}/users/{admin_user.pk}")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "You cannot delete your own account."}]}
    elsewhere = make_user(organisation=partner)
    assert api.delete(f"{ACME}/users/{elsewhere.pk}").status_code == 404


def test_managers_read_but_cannot_change(manager_api, make_user):
    user = make_user()
    assert manager_api.get(f"/api/v1/users/{user.pk}").status_code == 200
    response = manager_api.put(f"/api/v1/users/{user.pk}", {"user[event]": "suspend"})
    assert response.status_code == 403
    assert response.json()["errors"] == [{"message": "user not authorized to perform that action"}]
    assert manager_api.post(f"{ACME}/users", {"pseudonym[unique_id]": "x"}).status_code == 403


def test_history_lists_each_change_with_actor_reason_and_diff(api, make_user, admin_user):
    user = make_user()
    api.put(f"/api/v1/users/{user.pk}", {"user[event]": "suspend"})
    api.put(f"/api/v1/users/{user.pk}", {"user[email]": "new@example.com"})
    response = api.get(f"/api/v1/users/{user.pk}/history", {"per_page": 2})
    rows = response.json()
    assert [row["event"] for row in rows] == ["updated", "updated"]
    assert rows[0]["changes"] == {"email": [user.email, "new@example.com"]}
    assert rows[1]["changes"]["status"] == ["active", "inactive"]
    assert rows[1]["actor"]["login_id"] == "admin"
    assert rows[1]["reason"] == "API: PUT /api/v1/users/:user_id (suspend)"
    assert 'rel="next"' in response.headers["Link"]
    last = api.get(f"/api/v1/users/{user.pk}/history", {"per_page": 2, "page": 2}).json()
    assert last[-1]["event"] == "created"
    assert last[-1]["changes"]["username"] == [None, user.username]


def test_archived_report_lists_inactive_users_with_their_enrollment_states(
    api, make_user, enrolled_in_every_state, admin_user
):
    sleeper = make_user()
    enrolled_in_every_state(sleeper)
    make_user()
    services.user_deactivate(sleeper, by=admin_user, reason="Left")
    rows = api.get(f"{ACME}/reports/archived").json()
    assert [row["user"]["id"] for row in rows] == [sleeper.pk]
    assert rows[0]["enrollment_states"] == {
        "active": 1,
        "inactive": 1,
        "completed": 1,
        "invited": 1,
        "deleted": 1,
    }
    assert rows[0]["inactive_since"].endswith("Z")


def test_a_power_user_cannot_suspend_an_account_with_admin_rights(power_api, admin_user, partner):
    from users import services
    from users.models import UserStatus

    colleague = services.user_create(
        username="partner_admin",
        organisation=partner,
        is_staff=True,
        groups=["Power user"],
        by=admin_user,
        reason="Test set-up",
    )
    response = power_api.put(f"/api/v1/users/{colleague.pk}", {"user[event]": "suspend"})
    assert response.status_code == 403
    assert "Only a training admin" in response.json()["errors"][0]["message"]
    colleague.refresh_from_db()
    assert colleague.status == UserStatus.ACTIVE
