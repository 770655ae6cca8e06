"""In a real browser, the pages work under the Content-Security-Policy and break none of it:
the admin's users page (its scripts run), a report page, and the API docs (swagger-ui from
our static files, loading the schema). Chromium reports each violation as a
`securitypolicyviolation` event and a console error; both are collected.
"""

import pytest

from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def violations(page):
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(COLLECT_VIOLATIONS)

    def found():
        return console + page.evaluate("window.__cspViolations || []")

    return found


def test_the_violation_collector_sees_an_inline_handler(page, violations, admin_user):
    """The policy blocks an injected inline handler, and this test's collector notices."""
    page.goto("/account/login/")
    page.evaluate(
        """document.body.insertAdjacentHTML(
             "beforeend", '<img src="/static/admin/img/icon-yes.svg" onload="window.ran=1">')"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    assert violations()


def test_users_page_report_page_and_api_docs_work_under_the_policy(
    page, violations, admin_user, make_user, screenshot
):
    make_user(username="csp.person", first_name="Cee", last_name="Espy")
    sign_in(page, "admin")
    page.wait_for_url("**/admin/")

    page.goto("/admin/users/user/")
    page.locator("#action-toggle").check()  # admin's actions.js ticks every row
    assert page.locator("input.action-select:checked").count() >= 2
    assert violations() == []

    page.goto("/admin/reports/analytics/")
    assert page.locator("svg.chart").count() >= 1
    assert violations() == []

    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "LMS lifecycle admin API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    screenshot("api-docs-under-csp")
    assert violations() == []
