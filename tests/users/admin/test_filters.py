"""The users page's filters. "By created" takes every date a browser lets you type
(0001-01-01 to 9999-12-31) in any time zone, and anything else is a message, never a 500.
An organisation or segment that is not among the person's choices (not a number, gone, or
another organisation's, which read the same) shows no one, with a message."""

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


NOT_FOUND = {
    "organisation": "That organisation was not found; showing no one.",
    "segment": "That segment was not found; showing no one.",
}


@pytest.mark.parametrize("name", ["organisation", "segment"])
@pytest.mark.parametrize("value", ["abc", "999999", "1;", "-1"])
def test_a_filter_choice_that_is_not_one_shows_no_one_and_says_so_once(
    client, admin_user, dated, name, value
):
    sign_in(client, admin_user)
    response = client.get(CHANGELIST, {name: value, "status": "all"})
    assert response.status_code == 200
    assert listed(response) == []
    assert response.content.decode().count(NOT_FOUND[name]) == 1
    assert [str(tab["count"]) for tab in response.context["status_tabs"]] == ["0"] * 4


def test_another_organisations_choice_reads_as_one_that_is_not_there(
    client, power_user, organisation, admin_user, make_user
):
    from users import services

    make_user(organisation=organisation)
    theirs = services.segment_create(
        name="Other org's segment", organisation=organisation, by=admin_user, reason="t"
    )
    sign_in(client, power_user)
    for name, other in (("organisation", organisation.pk), ("segment", theirs.pk)):
        pages = [
            client.get(CHANGELIST, {name: value, "status": "all"}) for value in (other, 999999)
        ]
        for page in pages:
            assert page.status_code == 200
            assert listed(page) == []
            assert NOT_FOUND[name] in page.content.decode()
        assert [t["count"] for t in pages[0].context["status_tabs"]] == [
            t["count"] for t in pages[1].context["status_tabs"]
        ]


def test_a_choice_of_ones_own_still_filters(client, power_user, partner, make_user):
    mine = make_user(organisation=partner)
    sign_in(client, power_user)
    response = client.get(CHANGELIST, {"organisation": partner.pk, "status": "all"})
    assert mine.username in listed(response)
    assert NOT_FOUND["organisation"] not in response.content.decode()
