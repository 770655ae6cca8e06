import pytest

from enrollments import services as enrollment_services
from tests.e2e.test_sign_in import sign_in
from users import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_reads_the_archived_tab_and_downloads_inactive_users(
    page, screenshot, admin_user, manager, make_user, course
):
    leaver = make_user(username="lou.leaver", first_name="Lou", last_name="Leaver")
    enrollment_services.enrollment_create(user=leaver, course=course, by=admin_user, reason="t")
    services.user_deactivate(leaver, by=admin_user, reason="Left the company")

    sign_in(page, "manager")
    page.get_by_role("link", name="Analytics").first.click()
    page.wait_for_url("**/admin/reports/analytics/")
    assert page.locator("svg.chart").count() >= 2
    screenshot("reports-analytics")

    page.get_by_role("link", name="Archived", exact=True).click()
    page.wait_for_url("**/admin/reports/archived/")
    row = page.locator("#archived tbody tr", has_text="lou.leaver")
    assert "Left the company" in row.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("inactive-users_")
    screenshot("reports-archived")
