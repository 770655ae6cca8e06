"""The erasure pages: typed confirmation, the card's receipt and its downloads, the purge
page's typed organisation name, the retention policy page's preview."""

import json
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from users import services
from users.models import ErasureReceipt, User


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def erase_url(user):
    return reverse("admin:users_user_erase", args=[user.pk])


def test_erasing_needs_the_typed_word_and_nothing_changes_without_it(client, admin_user, make_user):
    person = make_user(username="nina.typed")
    sign_in(client, admin_user)
    response = client.post(erase_url(person), {"confirmation": "yes", "reason": "Request"})
    assert response.status_code == 200
    assert "Type ERASE in the box to confirm" in response.content.decode()
    person.refresh_from_db()
    assert person.anonymised_at is None and person.username == "nina.typed"


def test_erasing_with_the_typed_word_shows_the_receipt_on_the_card(client, admin_user, make_user):
    person = make_user(username="nina.erased", email="nina@erased.example")
    sign_in(client, admin_user)
    response = client.post(
        erase_url(person), {"confirmation": "ERASE", "reason": "Asked by nina@erased.example"}
    )
    assert response.status_code == 302
    card = client.get(response["Location"]).content.decode()
    label = services.pseudonym_label(person.pk)
    assert "Erasure receipt" in card and label in card
    assert "nina@erased.example" not in card and "nina.erased" not in card
    assert "Erase personal data</a>" not in card  # no second erasure offered


def test_the_receipt_downloads_as_csv_and_json_without_personal_data(client, admin_user, make_user):
    person = make_user(username="cmd.person", email="p@x.example")
    receipt = services.user_anonymise(person, by=admin_user, reason="Request")
    ErasureReceipt.objects.filter(pk=receipt.pk).update(
        touched=[
            *receipt.touched,
            {"table": "=HYPERLINK(1)", "fields": [], "rows": 0, "action": ""},
        ]
    )
    sign_in(client, admin_user)
    url = reverse("admin:users_erasurereceipt_download", args=[receipt.pk, "csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert body.startswith("table,fields,rows,action")
    assert "users_historicaluser" in body and "cmd.person" not in body
    assert "'=HYPERLINK(1)" in body  # neutralised by the exports' writer
    url = reverse("admin:users_erasurereceipt_download", args=[receipt.pk, "json"])
    rows = json.loads(b"".join(client.get(url).streaming_content))
    assert {
        "table": "users_user",
        "fields": "username, email, first_name, last_name, sis_user_id",
        "rows": 1,
        "action": "replaced with the pseudonym",
    } in rows


def test_the_row_menu_offers_erasure(client, admin_user, make_user):
    person = make_user(username="menu.person")
    sign_in(client, admin_user)
    page = client.get(reverse("admin:users_user_changelist")).content.decode()
    assert erase_url(person) in page


def test_a_manager_cannot_erase(client, manager, make_user):
    person = make_user()
    sign_in(client, manager)
    assert client.post(erase_url(person), {"confirmation": "ERASE"}).status_code == 403
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_purging_needs_the_organisations_name_typed(client, admin_user, partner):
    learner = services.user_create(username="p1", organisation=partner, by=None, reason="t")
    sign_in(client, admin_user)
    url = reverse("admin:users_organisation_purge", args=[partner.pk])
    response = client.post(url, {"confirmation": "partner"})
    assert "exactly to confirm" in response.content.decode()
    assert User.objects.filter(pk=learner.pk).exists()
    response = client.post(url, {"confirmation": partner.name, "reason": "Contract ended"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=learner.pk).exists()
    assert ErasureReceipt.objects.get(kind="purge").people == 1


def test_purging_the_training_admins_organisation_is_refused_on_the_page(
    client, admin_user, organisation
):
    sign_in(client, admin_user)
    url = reverse("admin:users_organisation_purge", args=[organisation.pk])
    response = client.post(url, {"confirmation": organisation.name})
    assert "training admins belong to it" in response.content.decode()
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_the_policy_page_previews_who_the_next_run_anonymises(client, admin_user, make_user):
    leaver = make_user(username="long.gone")
    services.user_deactivate(leaver, by=admin_user, reason="Left")
    User.objects.filter(pk=leaver.pk).update(
        status_changed_at=timezone.now() - timedelta(days=365 * 7)
    )
    make_user(username="still.here")
    sign_in(client, admin_user)
    page = client.get(reverse("admin:users_retentionpolicy_changelist")).content.decode()
    assert "The next run will anonymise 1 people" in page
    assert "long.gone" in page and "still.here" not in page
