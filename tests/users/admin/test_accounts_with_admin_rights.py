"""Power users and accounts with admin rights (review finding 1), managers posting changes
(finding 5), and what the switch and row menu offer to whom (finding 6)."""

import pytest
from django.urls import reverse

from lms_admin.plumbing.errors import NotPermitted
from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def partner_admin(partner, admin_user):
    """A training admin who belongs to the power user's own organisation."""
    return services.user_create(
        username="partner_admin",
        email="",
        organisation=partner,
        password=PASSWORD,
        is_staff=True,
        groups=[TRAINING_ADMIN],
        by=admin_user,
        reason="t",
    )


@pytest.fixture
def admin_accounts(partner, admin_user, partner_admin):
    """Every kind of account with admin rights, all in the power user's organisation."""
    staff_only = services.user_create(
        username="staff_only", organisation=partner, is_staff=True, by=admin_user, reason="t"
    )
    in_a_group = services.user_create(
        username="partner_manager",
        organisation=partner,
        groups=[MANAGER],
        by=admin_user,
        reason="t",
    )
    superuser = services.user_create(
        username="partner_root", organisation=partner, by=admin_user, reason="t"
    )
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    return [partner_admin, staff_only, in_a_group, User.objects.get(pk=superuser.pk)]


@pytest.fixture
def partner_learner(partner, admin_user):
    return services.user_create(
        username="partner_learner",
        email="pl@partner.example",
        organisation=partner,
        password=PASSWORD,
        by=admin_user,
        reason="t",
    )


def json_post(client, url, data=None):
    return client.post(url, data or {}, HTTP_ACCEPT="application/json")


def snapshot(user):
    row = User.objects.get(pk=user.pk)
    return (row.status, row.email, row.password, row.is_staff, row.is_superuser)


# Finding 1: the admin pages ---------------------------------------------------------------


def test_power_user_cannot_act_on_an_account_with_admin_rights(client, power_user, admin_accounts):
    sign_in(client, power_user)
    for account in admin_accounts:
        before = snapshot(account)
        history = account.history.count()
        card = client.get(reverse("admin:users_user_change", args=[account.pk]))
        assert card.status_code == 200  # they may look at it, in their organisation
        assert not card.context["has_change_permission"], account
        assert "Reset password" not in card.content.decode()
        edit = client.post(
            reverse("admin:users_user_change", args=[account.pk]),
            {"username": account.username, "email": "mine@evil.example"},
        )
        assert edit.status_code == 403, account
        for name in ("users_user_reset_password", "users_user_toggle", "users_user_remove"):
            response = client.post(reverse(f"admin:{name}", args=[account.pk]))
            assert response.status_code == 403, (name, account)
            assert "temporary" not in response.content.decode().lower()
        record = account.history.first()
        revert = client.post(reverse("admin:users_user_revert", args=[account.pk, record.pk]))
        assert revert.status_code == 403
        assert snapshot(account) == before, account
        assert account.history.count() == history


def test_power_user_still_maintains_plain_accounts(client, power_user, partner_learner):
    sign_in(client, power_user)
    url = reverse("admin:users_user_change", args=[partner_learner.pk])
    assert client.get(url).context["has_change_permission"]
    response = json_post(
        client,
        reverse("admin:users_user_toggle", args=[partner_learner.pk]),
        {"expected_status": "active"},
    )
    assert response.status_code == 200
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.INACTIVE


def test_power_user_cannot_reset_then_read_a_training_admins_password(
    client, power_user, partner_admin
):
    """The reported attack: reset an email-less training admin's password and read the
    temporary one, or change its email and send the reset link there."""
    sign_in(client, power_user)
    response = client.post(reverse("admin:users_user_reset_password", args=[partner_admin.pk]))
    assert response.status_code == 403
    assert "Temporary password" not in response.content.decode()
    response = client.post(
        reverse("admin:users_user_change", args=[partner_admin.pk]),
        {"username": "partner_admin", "email": "attacker@evil.example"},
    )
    assert response.status_code == 403
    partner_admin.refresh_from_db()
    assert partner_admin.email == ""
    assert partner_admin.check_password(PASSWORD)


def test_power_user_bulk_actions_leave_admin_accounts_alone(
    client, power_user, admin_accounts, partner_learner
):
    sign_in(client, power_user)
    page = client.get(CHANGELIST + "?status=all")
    html = page.content.decode()
    for account in admin_accounts:
        # No tick box, no live switch and no Reset password or Delete on their rows.
        assert f'name="_selected_action" value="{account.pk}"' not in html
        assert reverse("admin:users_user_toggle", args=[account.pk]) not in html
        assert reverse("admin:users_user_reset_password", args=[account.pk]) not in html
    assert f'name="_selected_action" value="{partner_learner.pk}"' in html

    # Ticking one anyway (a forged POST) is refused and changes nothing.
    response = client.post(
        CHANGELIST + "?status=all",
        {
            "action": "deactivate_selected",
            "index": "0",
            "confirm": "yes",
            "_selected_action": [admin_accounts[0].pk, partner_learner.pk],
        },
    )
    assert response.status_code == 403
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.ACTIVE

    # "All matching" reaches only the plain accounts, and says so.
    first = client.post(
        CHANGELIST + "?status=all",
        {
            "action": "deactivate_selected",
            "index": "0",
            "select_across": "1",
            "_selected_action": [partner_learner.pk],
        },
    )
    assert "have admin access and are left out" in first.content.decode()
    response = client.post(
        CHANGELIST + "?status=all",
        {
            "action": "deactivate_selected",
            "index": "0",
            "select_across": "1",
            "confirm": "yes",
            "_selected_action": [partner_learner.pk],
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.INACTIVE
    for account in [*admin_accounts, power_user]:
        assert User.objects.get(pk=account.pk).status == UserStatus.ACTIVE, account


def test_power_user_cannot_grant_admin_access_through_the_card(
    client, power_user, partner_learner, groups
):
    sign_in(client, power_user)
    response = client.post(
        reverse("admin:users_user_change", args=[partner_learner.pk]),
        {
            "username": "partner_learner",
            "email": "pl@partner.example",
            "organisation": partner_learner.organisation_id,
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [groups[TRAINING_ADMIN].pk],
            "segment_memberships-TOTAL_FORMS": "0",
            "segment_memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    partner_learner.refresh_from_db()
    assert not (partner_learner.is_staff or partner_learner.is_superuser)
    assert not partner_learner.groups.exists()


# Finding 1: the services, whatever door calls them -----------------------------------------


def test_services_refuse_a_power_user_on_admin_accounts(
    power_user, admin_accounts, partner_learner
):
    target = admin_accounts[0]
    calls = [
        lambda: services.user_reset_password(target, by=power_user, reason="t"),
        lambda: services.user_update(target, email="x@evil.example", by=power_user, reason="t"),
        lambda: services.user_deactivate(target, by=power_user, reason="t"),
        lambda: services.user_delete(target, by=power_user, reason="t"),
        lambda: services.users_deactivate(
            User.objects.filter(pk__in=[target.pk, partner_learner.pk]), by=power_user, reason="t"
        ),
        lambda: services.users_mark_for_deletion(
            User.objects.filter(pk=target.pk), by=power_user, reason="t"
        ),
        lambda: services.user_set_password(target, "new-pass-phrase-9", by=power_user, reason="t"),
    ]
    for call in calls:
        with pytest.raises(NotPermitted, match="admin access"):
            call()
    assert snapshot(target)[0] == UserStatus.ACTIVE
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.ACTIVE


def test_services_refuse_a_power_user_granting_admin_access(power_user, partner_learner, partner):
    with pytest.raises(NotPermitted):
        services.user_set_roles(partner_learner, groups=[TRAINING_ADMIN], by=power_user, reason="t")
    with pytest.raises(NotPermitted):
        services.user_update(partner_learner, is_staff=True, by=power_user, reason="t")
    with pytest.raises(NotPermitted):
        services.user_create(
            username="new_staff", organisation=partner, is_staff=True, by=power_user, reason="t"
        )
    with pytest.raises(NotPermitted):
        services.user_set_roles(power_user, groups=[TRAINING_ADMIN], by=power_user, reason="t")
    assert list(power_user.groups.values_list("name", flat=True)) == [POWER_USER]
    assert not User.objects.get(pk=partner_learner.pk).is_staff


def test_a_user_may_still_choose_their_own_password(power_user):
    services.user_set_password(power_user, "my-own-pass-phrase-1", by=power_user, reason="t")
    assert User.objects.get(pk=power_user.pk).check_password("my-own-pass-phrase-1")


# Finding 5: a POST that would change something, without permission, is a 403 ----------------


@pytest.mark.parametrize("confirm", [False, True])
def test_manager_posting_a_bulk_action_gets_403(client, manager, make_user, confirm):
    learner = make_user()
    sign_in(client, manager)
    data = {"action": "deactivate_selected", "index": "0", "_selected_action": [learner.pk]}
    if confirm:
        data["confirm"] = "yes"
    response = client.post(CHANGELIST, data)
    assert response.status_code == 403
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    assert client.post(CHANGELIST, {"action": "", "index": "0"}).status_code == 403


def test_an_action_the_person_does_not_have_gets_403(client, power_user, partner_learner):
    sign_in(client, power_user)
    response = client.post(
        CHANGELIST,
        {
            "action": "delete_users",
            "index": "0",
            "confirm": "yes",
            "_selected_action": [partner_learner.pk],
        },
    )
    assert response.status_code == 403
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.ACTIVE


# Finding 6: JSON answers for the switch, and only actionable controls ---------------------


def test_the_switch_gets_json_refusals(client, manager, power_user, partner_admin, make_user):
    learner = make_user()
    sign_in(client, manager)
    response = json_post(client, reverse("admin:users_user_toggle", args=[learner.pk]))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "ok": False,
        "error": "Managers can look at users but not change them.",
    }
    sign_in(client, power_user)
    response = json_post(client, reverse("admin:users_user_toggle", args=[partner_admin.pk]))
    assert response.status_code == 403
    assert "has admin access" in response.json()["error"]
    response = json_post(client, reverse("admin:users_user_toggle", args=[learner.pk]))
    assert response.status_code == 404  # another organisation's person
    assert response.json()["ok"] is False
    # A page request still gets the ordinary 403 page.
    assert client.post(reverse("admin:users_user_toggle", args=[partner_admin.pk])).status_code == (
        403
    )


def test_managers_see_a_status_indicator_not_a_switch(client, manager, make_user, admin_user):
    learner = make_user(username="jo")
    deleted = make_user(username="gone")
    services.user_delete(deleted, by=admin_user, reason="t")
    sign_in(client, manager)
    page = client.get(CHANGELIST + "?status=all").content.decode()
    assert 'aria-disabled="true" aria-label="Active: jo"' in page
    assert reverse("admin:users_user_toggle", args=[learner.pk]) not in page
    for label in ("Reset password", "Delete", "Undelete", "View/Edit user details"):
        assert f">{label}</a>" not in page, label
    assert ">View user details</a>" in page
