"""Every date the API takes accepts the whole range a browser or script can type
(0001-01-01 to 9999-12-31) or answers 400 naming the parameter; never a 500."""

import pytest

REPORT = "/api/v1/accounts/sis_account_id:ACME/reports/archived"
NOT_DATES = ["2026-02-30", "31/12/9999", "9999-12-32", "garbage"]


@pytest.mark.parametrize("name", ["deactivated_from", "deactivated_to"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", *NOT_DATES])
def test_archived_report_dates_out_of_range_or_not_dates_are_a_400(api, name, value):
    response = api.get(REPORT, {name: value})
    assert response.status_code == 400
    assert name in str(response.json())


def test_archived_report_takes_a_range_from_1970_to_today(api):
    response = api.get(REPORT, {"deactivated_from": "1970-01-01"})
    assert response.status_code == 400  # an open end runs to today: more than ten years
    response = api.get(REPORT, {"deactivated_from": "2020-01-01"})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z"])
def test_course_dates_take_the_whole_range(api, value):
    response = api.post(
        "/api/v1/accounts/self/courses",
        {"course[name]": "Far", "course[start_at]": value, "course[end_at]": value},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["start_at"] == f"{value[:10]}T00:00:00Z"
    assert response.json()["end_at"] == f"{value[:10]}T00:00:00Z"


@pytest.mark.parametrize("value", NOT_DATES)
def test_course_dates_that_are_not_dates_are_a_400(api, value):
    response = api.post("/api/v1/accounts/self/courses", {"course[start_at]": value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attribute"] == "course[start_at]"
