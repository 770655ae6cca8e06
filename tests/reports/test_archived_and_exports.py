import pytest

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from reports.exports import neutralise
from reports.models import ExportRecord
from tests.reports.helpers import content, file_rows, normalised, table_rows
from users import services

ARCHIVED = "/admin/reports/archived/"
FORMATS = ["csv", "xlsx", "json"]


@pytest.fixture
def leavers(admin_user, make_user, enrolled_in_every_state):
    stayer = make_user(username="stays")
    enrolled_in_every_state(stayer)
    leaver = make_user(username="leaver", first_name="Lou", last_name="Leaver")
    states = {s: e.state for s, e in enrolled_in_every_state(leaver).items()}
    done = Enrollment.objects.get(user=leaver, state=EnrollmentState.COMPLETED)
    enrollment_services.enrollment_record_progress(done, score=88, by=admin_user, reason="t")
    certificate = enrollment_services.certificate_issue(done, by=admin_user, reason="Earned")
    services.user_deactivate(leaver, by=admin_user, reason="Left the company")
    quiet = make_user(username="quiet")
    services.user_deactivate(quiet, by=admin_user, reason="Long-term leave")
    gone = make_user(username="gone")
    services.user_delete(gone, by=admin_user, reason="Duplicate")
    return {"leaver": leaver, "states": states, "certificate": certificate}


def test_archived_shows_inactive_users_with_enrolments_unchanged(admin_client, leavers):
    response = admin_client.get(ARCHIVED)
    assert response.status_code == 200
    rows = table_rows(response.content, "archived")
    usernames = {row[0] for row in rows}
    assert usernames == {"leaver", "quiet"}  # not the active nor the deleted
    leaver_rows = [row for row in rows if row[0] == "leaver"]
    # One row per enrolment, each in the state it had when they left.
    assert sorted(row[10] for row in leaver_rows) == sorted(
        label for label in ["Invited", "Active", "Inactive", "Completed", "Deleted"]
    )
    assert {row[6] for row in leaver_rows} == {"Ada Admin"}
    assert {row[7] for row in leaver_rows} == {"Left the company"}
    done = [row for row in leaver_rows if row[10] == "Completed"][0]
    assert done[13] == "88.00" and done[14] == leavers["certificate"].verification_code
    assert done[12]  # completed date
    quiet = [row for row in rows if row[0] == "quiet"]
    assert len(quiet) == 1 and quiet[0][7] == "Long-term leave" and quiet[0][8] == ""
    assert b"Inactive users:" in response.content


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("style", ["path", "query"])
def test_archived_export_equals_the_screen(admin_client, admin_user, leavers, fmt, style):
    screen = table_rows(admin_client.get(ARCHIVED).content, "archived")
    url = f"{ARCHIVED}export/{fmt}/" if style == "path" else f"{ARCHIVED}?export={fmt}"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.streaming
    name = response["Content-Disposition"]
    assert f".{fmt}" in name and "inactive-users" in name and "taken-" in name
    headers, rows = file_rows(response, fmt)
    assert headers[0] == "Username" and "Deactivated by" in headers
    assert normalised(rows) == normalised(screen)
    record = ExportRecord.objects.get()
    assert record.user == admin_user and record.report == "inactive-users"
    assert record.format == fmt and record.rows == len(rows) and record.finished_at


@pytest.mark.parametrize("fmt", FORMATS)
def test_analytics_and_changes_exports_equal_the_screen(admin_client, leavers, fmt):
    screen = table_rows(admin_client.get("/admin/reports/analytics/").content, "figure-rows")
    _, rows = file_rows(admin_client.get(f"/admin/reports/analytics/export/{fmt}/"), fmt)
    assert normalised(rows) == normalised(screen)

    query = {"object_type": "user"}
    page = admin_client.get("/admin/reports/changes/", query)
    screen = table_rows(page.content, "changes")
    _, rows = file_rows(admin_client.get(f"/admin/reports/changes/export/{fmt}/", query), fmt)
    # The page lists changes one per line; the file joins them with "; ".
    file_view = [
        row[:4] + [f"{row[4]} #{row[5]}", row[6].replace("; ", " "), row[7]]
        for row in normalised(rows)
    ]
    assert file_view == normalised(screen)[: len(file_view)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_cells_are_neutralised(admin_client, admin_user, make_user, fmt):
    evil = make_user(
        username="evil", first_name='=HYPERLINK("x")', last_name="", email="at@example.com"
    )
    services.user_update(evil, sis_user_id="+44123", by=admin_user, reason="t")
    services.user_deactivate(evil, by=admin_user, reason="@SUM(A1)")
    response = admin_client.get(f"{ARCHIVED}export/{fmt}/")
    _, rows = file_rows(response, fmt)
    row = rows[0]
    assert row[1] == '\'=HYPERLINK("x")'
    assert row[3] == "'+44123"
    assert row[7] == "'@SUM(A1)"
    for dangerous in ("-1+2", "\tcmd", "\rcmd", "=1", "+1", "@x"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("plain") == "plain" and neutralise(-5) == -5


def test_export_streams_without_building_the_file(admin_client, leavers):
    response = admin_client.get(f"{ARCHIVED}export/csv/")
    chunks = list(response.streaming_content)
    assert len(chunks) >= 1
    assert b"".join(chunks).startswith("\ufeffUsername".encode())
    assert response["Content-Type"].startswith("text/csv")


def test_archived_pages_by_cursor(admin_client, admin_user, make_user, monkeypatch):
    from reports.selectors import archived

    monkeypatch.setattr(archived, "PAGE_SIZE", 2)
    for n in range(5):
        services.user_deactivate(make_user(username=f"p{n}"), by=admin_user, reason="Left")
    seen, url = [], ARCHIVED
    while url:
        response = admin_client.get(url)
        seen += [row[0] for row in table_rows(response.content, "archived")]
        url = response.context.get("next_url")
    assert seen == [f"p{n}" for n in reversed(range(5))]
    assert content(admin_client.get(f"{ARCHIVED}export/csv/")).count(b"\n") == 6


def test_archived_filters(admin_client, admin_user, make_user, partner, organisation):
    services.user_deactivate(make_user(username="here"), by=admin_user, reason="Left")
    services.user_deactivate(
        make_user(username="there", organisation=partner), by=admin_user, reason="Left"
    )
    rows = table_rows(admin_client.get(ARCHIVED, {"organisation": partner.pk}).content, "archived")
    assert [row[0] for row in rows] == ["there"]
    segment = services.segment_create(
        name="Crew", organisation=organisation, by=admin_user, reason="t"
    )
    services.segment_add_members(
        segment, type(admin_user).objects.filter(username="here"), by=admin_user, reason="t"
    )
    rows = table_rows(admin_client.get(ARCHIVED, {"segment": segment.pk}).content, "archived")
    assert [row[0] for row in rows] == ["here"]
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    rows = table_rows(
        admin_client.get(ARCHIVED, {"deactivated_from": today, "deactivated_to": today}).content,
        "archived",
    )
    assert {row[0] for row in rows} == {"here", "there"}
