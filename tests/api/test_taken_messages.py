"""Through the API a power user cannot tell where a taken username or SIS user ID is held,
nor whether an id they may not see exists: the answers are the same, byte for byte."""

import pytest

from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(make_user):
    """Kim, of Acme: outside the partner's power user's organisation."""
    return make_user(
        username="kim", sis_user_id="ACME-0042", first_name="Kim", last_name="Hiddenfield"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"pseudonym[unique_id]": "kim"}, "This username is not available."),
        (
            {"pseudonym[unique_id]": "newcomer", "pseudonym[sis_user_id]": "ACME-0042"},
            "This SIS user ID is not available.",
        ),
    ],
)
def test_creating_someone_with_a_taken_identifier(power_api, holder, partner, body, message):
    url = f"/api/v1/accounts/{partner.pk}/users"

    outside = power_api.post(url, body)
    User.objects.filter(pk=holder.pk).update(organisation=partner)  # now one of their own
    inside = power_api.post(url, body)

    assert outside.status_code == inside.status_code == 400
    assert outside.content == inside.content
    assert [error["message"] for error in outside.json()["errors"]] == [message]
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("path", ["/api/v1/users/{}", "/api/v1/users/{}/history"])
def test_an_outsiders_sis_id_reads_as_one_nobody_has(power_api, holder, path):
    taken = power_api.get(path.format("sis_user_id:ACME-0042"))
    nobodys = power_api.get(path.format("sis_user_id:ACME-0043"))

    assert taken.status_code == nobodys.status_code == 404
    assert taken.content.replace(b"0042", b"<id>") == nobodys.content.replace(b"0043", b"<id>")
    assert b"Hiddenfield" not in taken.content
