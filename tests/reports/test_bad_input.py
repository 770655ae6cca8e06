from datetime import timedelta

import pytest
from django.utils import timezone

# Dates relative to today are worked out when each test runs, not when the tests are
# collected: a run that crossed midnight made "tomorrow" today, a valid date.
TOMORROW, TODAY, LAST_YEAR = "<tomorrow>", "<today>", "<last year>"


def dated(query: dict) -> dict:
    today = timezone.localdate()
    days = {
        TOMORROW: today + timedelta(days=1),
        TODAY: today,
        LAST_YEAR: today - timedelta(days=365),
    }
    return {
        name: days[value].isoformat() if value in days else value for name, value in query.items()
    }


BAD = [
    ("/admin/reports/analytics/", {"date_from": "2025-13-45"}),
    ("/admin/reports/analytics/", {"date_from": "yesterday"}),
    ("/admin/reports/analytics/", {"date_to": TOMORROW}),
    ("/admin/reports/analytics/", {"date_from": TODAY, "date_to": LAST_YEAR}),
    ("/admin/reports/analytics/", {"organisation": "999999"}),
    ("/admin/reports/analytics/", {"organisation": "abc"}),
    ("/admin/reports/analytics/", {"segment": "-1"}),
    ("/admin/reports/analytics/", {"course": "1e9"}),
    ("/admin/reports/analytics/", {"export": "pdf"}),
    ("/admin/reports/archived/", {"deactivated_from": TODAY, "deactivated_to": LAST_YEAR}),
    ("/admin/reports/archived/", {"deactivated_to": "2024-12-32"}),
    ("/admin/reports/archived/", {"organisation": "0"}),
    ("/admin/reports/history/", {"as_of": TOMORROW}),
    ("/admin/reports/history/", {"as_of": "2024-02-30"}),
    ("/admin/reports/history/", {"as_of": "\x00"}),
    ("/admin/reports/history/", {"period_from": TODAY, "period_to": LAST_YEAR}),
    ("/admin/reports/history/", {"period_from": LAST_YEAR}),
    ("/admin/reports/history/", {"period_from": "0001-01-01", "period_to": TODAY}),
    ("/admin/reports/changes/", {"action": "x"}),
    ("/admin/reports/changes/", {"object_type": "password"}),
    ("/admin/reports/changes/", {"actor": "999999"}),
    ("/admin/reports/changes/", {"date_from": TOMORROW}),
]


@pytest.mark.parametrize(("url", "query"), BAD)
@pytest.mark.parametrize("export", [False, True])
def test_bad_input_is_a_form_error_never_a_500(admin_client, url, query, export):
    query = dated(query)
    if export and "export" not in query:
        query = {**query, "export": "csv"}
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert not response.streaming
    assert b'<ul class="errorlist' in response.content


@pytest.mark.parametrize("url", ["/admin/reports/archived/", "/admin/reports/changes/"])
@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "WzEsMl0", "W251bGwsICJ4Il0"])
def test_a_broken_cursor_starts_again_from_the_top(admin_client, url, cursor):
    assert admin_client.get(url, {"cursor": cursor}).status_code == 200


def test_unknown_parameters_are_ignored(admin_client):
    assert admin_client.get("/admin/reports/analytics/", {"colour": "blue"}).status_code == 200
