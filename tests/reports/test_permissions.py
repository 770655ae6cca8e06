import pytest
from django.test import Client

from enrollments import services as enrollment_services
from reports.models import ExportRecord
from tests.reports.helpers import file_rows, table_rows
from users import services

PAGES = [
    "/admin/reports/",
    "/admin/reports/analytics/",
    "/admin/reports/archived/",
    "/admin/reports/history/",
    "/admin/reports/changes/",
]
EXPORTS = [
    "/admin/reports/analytics/export/csv/",
    "/admin/reports/archived/export/csv/",
    "/admin/reports/changes/export/csv/",
]


@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_anonymous_is_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_learner_with_staff_flag_but_no_role_is_refused(client_for, make_user, url):
    nobody = make_user(username="nobody", is_staff=True)
    assert client_for(nobody).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_manager_reads_and_exports(manager_client, url):
    assert manager_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_manager_gets_403_on_any_post(manager_client, url):
    assert manager_client.post(url, {"reason": "x"}).status_code == 403


def test_manager_gets_403_on_changes_elsewhere_in_the_admin(manager_client, make_user):
    learner = make_user()
    response = manager_client.post(f"/admin/users/user/{learner.pk}/change/", {"email": "x@y.z"})
    assert response.status_code == 403
    learner.refresh_from_db()
    assert learner.email != "x@y.z"


def test_admin_post_is_not_allowed_and_changes_nothing(admin_client):
    assert admin_client.post("/admin/reports/analytics/").status_code == 405


def test_reports_link_on_the_admin_index(admin_client, manager_client):
    for client in (admin_client, manager_client):
        assert b'href="/admin/reports/"' in client.get("/admin/").content


@pytest.fixture
def two_organisations(admin_user, make_user, partner, course):
    ours = make_user(username="ours", organisation=partner)
    theirs = make_user(username="theirs")
    for person in (ours, theirs):
        enrollment_services.enrollment_create(user=person, course=course, by=admin_user, reason="t")
        services.user_deactivate(person, by=admin_user, reason="Left")
    services.user_update(theirs, email="changed@example.com", by=admin_user, reason="Typo")
    return ours, theirs


def test_power_user_scoping_holds_on_every_report_and_export(
    power_client, power_user, two_organisations, organisation
):
    rows = table_rows(power_client.get("/admin/reports/archived/").content, "archived")
    assert [row[0] for row in rows] == ["ours"]
    _, rows = file_rows(power_client.get("/admin/reports/archived/export/json/"), "json")
    assert [row[0] for row in rows] == ["ours"]

    rows = table_rows(power_client.get("/admin/reports/analytics/").content, "figure-rows")
    assert ["Active users", "All active users", "1", "", ""] in rows  # the power user alone
    assert not any("Acme" in row[1] for row in rows)
    _, rows = file_rows(power_client.get("/admin/reports/analytics/export/csv/"), "csv")
    assert not any("Acme" in row[1] for row in rows)

    page = power_client.get("/admin/reports/changes/").content
    assert b"theirs" not in page and b"ours" in page
    _, rows = file_rows(power_client.get("/admin/reports/changes/export/xlsx/"), "xlsx")
    objects = {row[4] for row in rows}
    assert "ours" in objects and "theirs" not in objects and "admin" not in objects

    from django.utils import timezone

    today = timezone.localdate().isoformat()
    response = power_client.get("/admin/reports/history/", {"as_of": today})
    assert b"Acme" not in response.content.split(b'id="figure-rows"')[1]
    response = power_client.get(
        "/admin/reports/history/", {"period_from": today, "period_to": today, "export": "csv"}
    )
    _, rows = file_rows(response, "csv")
    assert ["Deactivations", "All", "1", "1", "0"] in rows  # theirs is not counted

    # Naming another organisation is a form error, not a way in.
    response = power_client.get("/admin/reports/archived/", {"organisation": organisation.pk})
    assert response.status_code == 200 and b'<ul class="errorlist' in response.content
    assert b"theirs" not in response.content
    response = power_client.get(
        "/admin/reports/archived/export/csv/", {"organisation": organisation.pk}
    )
    assert not response.streaming and b'<ul class="errorlist' in response.content
    assert ExportRecord.objects.filter(user=power_user).count() == 4


def test_power_user_cannot_filter_by_another_organisations_actor(power_client, admin_user):
    response = power_client.get("/admin/reports/changes/", {"actor": admin_user.pk})
    assert b'<ul class="errorlist' in response.content


def test_sign_in_is_recorded(db, admin_user):
    from tests.conftest import PASSWORD

    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    assert admin_user.sign_in_events.count() == 1
