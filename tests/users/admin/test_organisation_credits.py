"""The organisation's "Add credits" page through the Django test client: training admins top
up (amount and reason) through enrollments.services.organisation_add_credits; bad input gets
a plain message and changes nothing; power users read the balance and the ledger but cannot
top up; another organisation reads as one that does not exist."""

import re

import pytest
from django.urls import reverse

from enrollments import services as enrollment_services
from enrollments.models import SeatCreditEntry
from tests.conftest import PASSWORD
from users.models import Organisation

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def credits_url(organisation_or_id):
    return reverse(
        "admin:users_organisation_credits",
        args=[getattr(organisation_or_id, "pk", organisation_or_id)],
    )


def balance(organisation):
    return Organisation.objects.get(pk=organisation.pk).credit_balance


def test_a_training_admin_tops_up_from_the_organisations_page(client, admin_user, organisation):
    sign_in(client, admin_user)
    card = client.get(reverse("admin:users_organisation_change", args=[organisation.pk]))
    assert credits_url(organisation) in card.content.decode()
    page = client.get(credits_url(organisation)).content.decode()
    assert "Credits to add" in page and "0 credits" in page
    response = client.post(credits_url(organisation), {"amount": "1,500", "reason": "PO 1234"})
    assert response.status_code == 302
    shown = client.get(response.url).content.decode()
    assert "Added 1,500 credits to Acme Training: the balance is now 1,500." in shown
    assert balance(organisation) == 1500
    entry = SeatCreditEntry.objects.get()
    assert (entry.credits, entry.created_by, entry.reason) == (1500, admin_user, "PO 1234")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Type a number of credits above zero."),
        ("-20", "Type a number of credits above zero."),
        ("ten", "Type the credits to add as a whole number, such as 100."),
        ("2.5", "Type the credits to add as a whole number, such as 100."),
        ("", "Type how many credits to add."),
        ("99999999999999999999", "At most 1,000,000 credits can be added at once."),
    ],
)
def test_bad_amounts_get_a_plain_message_and_change_nothing(
    client, admin_user, organisation, amount, message
):
    sign_in(client, admin_user)
    response = client.post(credits_url(organisation), {"amount": amount, "reason": "PO 1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert balance(organisation) == 0
    assert not SeatCreditEntry.objects.exists()


def test_a_top_up_without_a_reason_is_refused(client, admin_user, organisation):
    sign_in(client, admin_user)
    response = client.post(credits_url(organisation), {"amount": "10", "reason": "  "})
    assert "Give a reason for the top-up" in response.content.decode()
    assert balance(organisation) == 0


def test_a_power_user_reads_the_balance_and_ledger_but_cannot_top_up(
    client, admin_user, power_user, partner
):
    enrollment_services.organisation_add_credits(
        partner, amount=40, by=admin_user, reason="Contract 9"
    )
    sign_in(client, power_user)
    card = client.get(reverse("admin:users_organisation_change", args=[partner.pk]))
    assert card.status_code == 200
    assert re.search(
        r"Credit balance:</label>\s*<div class=\"readonly\">40</div>", card.content.decode()
    )
    assert credits_url(partner) not in card.content.decode()
    ledger = client.get(reverse("reports:seats") + f"?organisation={partner.pk}")
    assert ledger.status_code == 200 and "Contract 9" in ledger.content.decode()
    assert client.get(credits_url(partner)).status_code == 403
    refused = client.post(credits_url(partner), {"amount": "500", "reason": "Please"})
    assert refused.status_code == 403
    assert balance(partner) == 40


def test_a_manager_cannot_top_up(client, manager, organisation):
    sign_in(client, manager)
    assert client.post(credits_url(organisation), {"amount": "5", "reason": "x"}).status_code == 403
    assert balance(organisation) == 0


def test_another_organisation_reads_as_one_that_does_not_exist(client, power_user, organisation):
    sign_in(client, power_user)
    for method in (client.get, client.post):
        theirs = method(credits_url(organisation), {"amount": "5", "reason": "x"})
        missing = method(credits_url(987654), {"amount": "5", "reason": "x"})
        assert theirs.status_code == missing.status_code == 404
    assert balance(organisation) == 0
