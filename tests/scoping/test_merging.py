"""Power users and merges: the finder lists groups inside their organisation only, the
preview of a group with someone of another organisation and another organisation's merge
answer as for nothing."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from users import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def power_client(power_user):
    client = Client()
    assert client.login(username=power_user.username, password=PASSWORD)
    return client


def test_finder_shows_own_organisation_groups_only(power_client, make_user, partner):
    make_user(username="ours1", email="Twin@partner.example", organisation=partner)
    make_user(username="ours2", email="twin@partner.example", organisation=partner)
    make_user(username="theirs1", email="Zorblatt@acme.example")
    make_user(username="theirs2", email="zorblatt@acme.example")
    make_user(username="crossover", email="twin@PARTNER.example")  # other organisation
    for reason in ("email", "name", "sis", "course"):
        response = power_client.get(f"/admin/users/duplicates/?reason={reason}")
        assert response.status_code == 200
        assert b"theirs" not in response.content
        assert b"crossover" not in response.content
    page = power_client.get("/admin/users/duplicates/?reason=email")
    assert b"ours1" in page.content and b"ours2" in page.content


def test_preview_and_merge_page_of_another_organisation_read_as_nothing(
    power_client, make_user, partner, admin_user
):
    ours = make_user(organisation=partner)
    theirs, theirs2 = make_user(), make_user()
    mixed = power_client.get(f"/admin/users/duplicates/preview/?ids={ours.pk},{theirs.pk}")
    missing = power_client.get(f"/admin/users/duplicates/preview/?ids={ours.pk},987654")
    assert mixed.status_code == missing.status_code == 404
    merge = services.users_merge(
        primary=theirs, others=[theirs2], by=admin_user, reason="Duplicate"
    )
    assert power_client.get(f"/admin/users/merges/{merge.pk}/").status_code == 404
    assert power_client.post(f"/admin/users/merges/{merge.pk}/", {"reason": "x"}).status_code == 404
    assert power_client.get("/admin/users/merges/987654/").status_code == 404
    merge.refresh_from_db()
    assert merge.undone_at is None
