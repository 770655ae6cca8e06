"""The history page can show two tables at once (the figures as of a day and a period
report); each has its own downloads, and each file equals its table on screen."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from reports.models import ExportRecord
from tests.reports.helpers import file_rows, normalised, table_rows
from users import services

URL = "/admin/reports/history/"
FORMATS = ["csv", "xlsx", "json"]
TABLES = {"figures": "figure-rows", "period": "period"}


@pytest.fixture
def both(admin_user, make_user, course):
    stays, leaves = make_user(), make_user()
    for person in (stays, leaves):
        enrollment = enrollment_services.enrollment_create(
            user=person, course=course, by=admin_user, reason="t"
        )
        enrollment_services.enrollment_set_state(
            enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
        )
    services.user_deactivate(leaves, by=admin_user, reason="Left")
    today = timezone.localdate().isoformat()
    return {"as_of": today, "period_from": today, "period_to": today}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "/export/" in attrs.get("href", ""):
            self.links.append(attrs["href"])


def download_links(html: bytes) -> list[str]:
    parser = _Links()
    parser.feed(html.decode())
    return parser.links


def test_both_tables_have_their_own_download_buttons(admin_client, both):
    response = admin_client.get(URL, both)
    assert table_rows(response.content, "figure-rows")
    assert table_rows(response.content, "period")
    links = download_links(response.content)
    tables = [parse_qs(urlsplit(link).query).get("table") for link in links]
    assert tables == [["figures"]] * 3 + [["period"]] * 3
    assert b"Download the figures as of" in response.content
    assert b"Download the period report" in response.content
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["as_of"] == [both["as_of"]] and query["period_to"] == [both["period_to"]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", ["figures", "period"])
@pytest.mark.parametrize("style", ["link", "query"])
def test_each_file_equals_its_table_on_screen(admin_client, admin_user, both, fmt, table, style):
    page = admin_client.get(URL, both)
    screen = table_rows(page.content, TABLES[table])
    assert screen
    if style == "link":
        link = next(
            link
            for link in download_links(page.content)
            if f"/export/{fmt}/" in link and f"table={table}" in link
        )
        response = admin_client.get(link)
    else:
        response = admin_client.get(URL, {**both, "export": fmt, "table": table})
    assert response.status_code == 200 and response.streaming
    _, rows = file_rows(response, fmt)
    assert normalised(rows) == normalised(screen)
    record = ExportRecord.objects.get()
    expected = {"figures": "figures-as-of", "period": "period-report"}[table]
    assert record.report == expected and expected in response["Content-Disposition"]
    assert record.rows == len(rows) and "table" not in record.filters


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_table_alone_needs_no_table_parameter(admin_client, both, fmt):
    only_period = {"period_from": both["period_from"], "period_to": both["period_to"]}
    screen = table_rows(admin_client.get(URL, only_period).content, "period")
    _, rows = file_rows(admin_client.get(f"{URL}export/{fmt}/", only_period), fmt)
    assert normalised(rows) == normalised(screen)
    screen = table_rows(admin_client.get(URL, {"as_of": both["as_of"]}).content, "figure-rows")
    _, rows = file_rows(admin_client.get(f"{URL}export/{fmt}/", {"as_of": both["as_of"]}), fmt)
    assert normalised(rows) == normalised(screen)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"table": "chart"}, b"There is no &#x27;chart&#x27; table here"),
        ({"table": "period", "period_from": "", "period_to": ""}, b"Choose both ends"),
        ({"table": "figures", "as_of": ""}, b"Choose a day"),
    ],
)
def test_asking_for_a_table_that_is_not_there_is_a_plain_error(admin_client, both, query, message):
    response = admin_client.get(f"{URL}export/csv/", {**both, **query})
    assert response.status_code == 200
    assert not response.streaming
    assert message in response.content
    assert not ExportRecord.objects.exists()
