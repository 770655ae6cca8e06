"""Power-user scoping of the erasure pages: erase, receipts and their downloads, the
retention preview, purge. Out of scope reads as nonexistent (404)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from users import services
from users.models import User


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_power_user_erase_page_for_another_organisation_reads_as_nonexistent(
    client, power_user, make_user, partner
):
    outsider = make_user()
    own = make_user(organisation=partner)
    sign_in(client, power_user)
    assert client.get(reverse("admin:users_user_erase", args=[outsider.pk])).status_code == 404
    assert client.get(reverse("admin:users_user_erase", args=[999999])).status_code == 404
    assert client.get(reverse("admin:users_user_erase", args=[own.pk])).status_code == 200
    response = client.post(
        reverse("admin:users_user_erase", args=[outsider.pk]), {"confirmation": "ERASE"}
    )
    assert response.status_code == 404
    assert User.objects.get(pk=outsider.pk).anonymised_at is None


def test_power_user_cannot_erase_an_admin_account_of_their_organisation(
    client, power_user, partner, admin_user
):
    colleague = services.user_create(
        username="partner.staff", organisation=partner, is_staff=True, by=admin_user, reason="t"
    )
    sign_in(client, power_user)
    url = reverse("admin:users_user_erase", args=[colleague.pk])
    assert client.post(url, {"confirmation": "ERASE"}).status_code == 403
    assert User.objects.get(pk=colleague.pk).anonymised_at is None


def test_receipts_and_their_downloads_are_scoped(
    client, power_user, admin_user, make_user, partner
):
    outside = services.user_anonymise(make_user(), by=admin_user, reason="r")
    inside = services.user_anonymise(make_user(organisation=partner), by=admin_user, reason="r")
    sign_in(client, power_user)
    listing = client.get(reverse("admin:users_erasurereceipt_changelist"))
    shown = {receipt.pk for receipt in listing.context["cl"].result_list}
    assert shown == {inside.pk}
    url = reverse("admin:users_erasurereceipt_download", args=[outside.pk, "csv"])
    assert client.get(url).status_code == 404
    url = reverse("admin:users_erasurereceipt_download", args=[inside.pk, "csv"])
    assert client.get(url).status_code == 200


def test_the_retention_preview_shows_only_the_power_users_organisation(
    client, power_user, admin_user, make_user, partner
):
    ids = []
    for organisation in (None, partner):
        person = make_user(**({"organisation": organisation} if organisation else {}))
        services.user_deactivate(person, by=admin_user, reason="Left")
        ids.append(person.pk)
    User.objects.filter(pk__in=ids).update(
        status_changed_at=timezone.now() - timedelta(days=365 * 8)
    )
    sign_in(client, power_user)
    response = client.get(reverse("admin:users_retentionpolicy_changelist"))
    assert [person.pk for person in response.context["retention_preview"]] == [ids[1]]


def test_power_user_cannot_purge(client, power_user, partner):
    sign_in(client, power_user)
    url = reverse("admin:users_organisation_purge", args=[partner.pk])
    assert client.post(url, {"confirmation": partner.name}).status_code == 403
    assert User.objects.filter(pk=power_user.pk).exists()
