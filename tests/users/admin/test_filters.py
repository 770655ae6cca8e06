"""The users page's "By created" filter takes every date a browser lets you type
(0001-01-01 to 9999-12-31) in any time zone, and anything else is a message, never a 500."""

import pytest

from tests.users.helpers import CHANGELIST, listed, sign_in
from users.models import User

pytestmark = pytest.mark.django_db

# UTC, the far east (UTC+14: 1 Jan 0001 there is still year 0 in UTC) and the far west.
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
EXTREMES = ["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"]


@pytest.fixture
def dated(make_user):
    person = make_user()
    User.objects.filter(pk=person.pk).update(date_joined="2021-06-15T10:00:00Z")
    return person


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("name", ["created_before", "created_after"])
def test_extreme_dates_filter_without_an_error(
    client, admin_user, dated, settings, zone, value, name
):
    settings.TIME_ZONE = zone
    sign_in(client, admin_user)
    response = client.get(CHANGELIST, {name: value})
    assert response.status_code == 200
    expected = (name == "created_before") == value.startswith("9999")
    assert (dated.username in listed(response)) is expected


@pytest.mark.parametrize("zone", ZONES)
def test_the_whole_range_lists_everyone(client, admin_user, dated, settings, zone):
    settings.TIME_ZONE = zone
    sign_in(client, admin_user)
    response = client.get(
        CHANGELIST, {"created_after": "0001-01-01", "created_before": "9999-12-31"}
    )
    assert response.status_code == 200
    assert dated.username in listed(response)


@pytest.mark.parametrize("value", ["31/12/9999", "2026-02-30", "9999-12-32", "10000-01-01", "x"])
def test_a_date_that_is_not_one_is_a_message(client, admin_user, dated, value):
    sign_in(client, admin_user)
    for name in ("created_before", "created_after"):
        response = client.get(CHANGELIST, {name: value}, follow=True)
        assert response.status_code == 200
        assert f"“{value}” is not a date" in response.content.decode()
        assert listed(response) == []
