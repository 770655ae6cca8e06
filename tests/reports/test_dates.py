"""Dates on every report page: from 1 January 1970 up to today, ranges of at most ten years
(an open end runs to today); anything else is a plain form error, never a 500."""

from datetime import date, timedelta

import pytest
from django import forms
from django.utils import timezone

from reports.filters import (
    AnalyticsFilterSet,
    ArchivedFilterSet,
    AsOfFilterSet,
    ChangeLogFilterSet,
)

PAGES = {
    "/admin/reports/analytics/": AnalyticsFilterSet,
    "/admin/reports/archived/": ArchivedFilterSet,
    "/admin/reports/history/": AsOfFilterSet,
    "/admin/reports/changes/": ChangeLogFilterSet,
}
DATE_FIELDS = [
    (url, name)
    for url, filterset in PAGES.items()
    for name, field in filterset.base_filters.items()
    if issubclass(field.field_class, forms.DateField)
]
EARLY = ["0001-01-01", "0001-01-20", "0001-03-01", "1969-12-31"]
EARLIEST_MESSAGE = "Choose a date from 1 January 1970 onwards."


def test_every_report_page_has_date_fields_to_check():
    for url in PAGES:
        assert len([name for page, name in DATE_FIELDS if page == url]) >= 2, url


def errors_of(response) -> dict:
    return response.context["filterset"].form.errors


@pytest.mark.parametrize(("url", "name"), DATE_FIELDS)
@pytest.mark.parametrize("value", EARLY)
@pytest.mark.parametrize("export", [False, True])
def test_dates_before_1970_are_a_form_error(admin_client, url, name, value, export):
    query = {name: value, **({"export": "csv"} if export else {})}
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert not response.streaming
    assert errors_of(response)[name] == [EARLIEST_MESSAGE]
    assert EARLIEST_MESSAGE.encode() in response.content


@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-20", "0001-03-01"])
def test_as_of_year_one_is_an_error_not_a_500(admin_client, value):
    response = admin_client.get("/admin/reports/history/", {"as_of": value})
    assert response.status_code == 200
    assert errors_of(response) == {"as_of": [EARLIEST_MESSAGE]}


def test_the_first_of_january_1970_works(admin_client, make_user):
    make_user()
    response = admin_client.get("/admin/reports/history/", {"as_of": "1970-01-01"})
    assert response.status_code == 200
    assert response.context["figures"].active_users == 0
    response = admin_client.get(
        "/admin/reports/analytics/", {"date_from": "1970-01-01", "date_to": "1979-12-31"}
    )
    assert response.status_code == 200 and response.context["valid"]


OPEN_ENDED = [
    ("/admin/reports/analytics/", "date_from"),
    ("/admin/reports/archived/", "deactivated_from"),
    ("/admin/reports/history/", "period_from"),
    ("/admin/reports/changes/", "date_from"),
]


@pytest.mark.parametrize(("url", "name"), OPEN_ENDED)
@pytest.mark.parametrize("years_ago", [11, 70])
def test_an_open_ended_range_runs_to_today_and_is_capped(admin_client, url, name, years_ago):
    start = timezone.localdate() - timedelta(days=365 * years_ago)
    response = admin_client.get(url, {name: max(start, date(1970, 1, 1)).isoformat()})
    assert response.status_code == 200
    assert not response.context["valid"]
    message = errors_of(response)[name][0]
    assert "no end date" in message and "ten years" in message


def test_analytics_from_year_one_with_no_end(admin_client):
    for export in ({}, {"export": "json"}):
        response = admin_client.get(
            "/admin/reports/analytics/", {"date_from": "0001-01-01", **export}
        )
        assert response.status_code == 200 and not response.streaming
        assert errors_of(response) == {"date_from": [EARLIEST_MESSAGE]}


def test_an_open_ended_range_within_ten_years_is_fine(admin_client):
    start = (timezone.localdate() - timedelta(days=365 * 9)).isoformat()
    response = admin_client.get("/admin/reports/analytics/", {"date_from": start})
    assert response.status_code == 200 and response.context["valid"]


# The British forms take 31/12/9999 as typed.
LATE = ["9999-12-31", "31/12/9999"]
NOT_DATES = ["2026-02-30", "9999-12-32", "10000-01-01", "garbage"]


@pytest.mark.parametrize(("url", "name"), DATE_FIELDS)
@pytest.mark.parametrize("value", LATE)
def test_dates_after_today_up_to_9999_are_a_form_error(admin_client, url, name, value):
    for export in ({}, {"export": "csv"}):
        response = admin_client.get(url, {name: value, **export})
        assert response.status_code == 200 and not response.streaming
        assert errors_of(response)[name][0].startswith("Choose a date up to today")


@pytest.mark.parametrize(("url", "name"), DATE_FIELDS)
@pytest.mark.parametrize("value", NOT_DATES)
def test_text_that_is_not_a_date_is_a_form_error(admin_client, url, name, value):
    for export in ({}, {"export": "xlsx"}):
        response = admin_client.get(url, {name: value, **export})
        assert response.status_code == 200 and not response.streaming
        assert errors_of(response)[name] == ["Enter a valid date."]


@pytest.mark.parametrize("url", PAGES)
def test_whole_browser_range_together_is_a_form_error(admin_client, url):
    names = [other for page, other in DATE_FIELDS if page == url]
    query = {other: ["0001-01-01", "9999-12-31"][n % 2] for n, other in enumerate(names)}
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert set(errors_of(response)) == set(names)


@pytest.mark.parametrize(
    "query",
    [
        {"started_at__year": "9999", "started_at__month": "12", "started_at__day": "31"},
        {"started_at__year": "9999", "started_at__month": "12"},
        {"started_at__year": "9999"},
        {"started_at__year": "0"},
        {"started_at__year": "2026", "started_at__month": "2", "started_at__day": "30"},
    ],
)
def test_export_log_date_hierarchy_at_the_ends_of_time_is_a_notice(admin_client, query):
    response = admin_client.get("/admin/reports/exportrecord/", query, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?e=1")


def test_export_log_date_hierarchy_on_the_last_day_of_9998_works(admin_client):
    query = {"started_at__year": "9998", "started_at__month": "12", "started_at__day": "31"}
    response = admin_client.get("/admin/reports/exportrecord/", query)
    assert response.status_code == 200


def test_the_as_of_forms_two_date_ranges_say_which_is_which(admin_client):
    html = admin_client.get("/admin/reports/history/").content.decode()
    for words in (
        "As of the end of",
        "As-of figures: counted from",
        "As-of figures: counted to",
        "Period report: from",
        "Period report: to",
        "A separate table: the enrolments made, completions and deactivations",
    ):
        assert words in html
    assert ">From<" not in html and ">Period from<" not in html


def test_the_as_of_figures_range_must_run_forwards(admin_client):
    query = {"as_of": "2024-06-30", "date_from": "2024-06-10", "date_to": "2024-06-01"}
    response = admin_client.get("/admin/reports/history/", query)
    assert errors_of(response) == {"date_to": ["The end date is before the start date."]}
