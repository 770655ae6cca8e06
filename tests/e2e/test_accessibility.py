"""axe-core (WCAG 2 A and AA rules) finds nothing on the admin and learner pages.

axe-core comes from PyPI's axe-playwright-python (its axe.min.js), run in Debian's
Chromium like the other browser tests. Each page is shown with content in it: people of
every status, an enrolment with a certificate, a segment with members, an import, so that
badges, links in tables and messages are all checked.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from enrollments import services as enrollment_services
from tests.e2e.test_users_page import sign_in
from users import services

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def content(admin_user, make_user, organisation):
    course = enrollment_services.course_create(
        code="SAFE101", name="Safety basics", organisation=organisation, by=admin_user, reason="t"
    )
    jo = make_user(username="jo.bloggs", first_name="Jo", last_name="Bloggs", sis_user_id="E-1")
    resting = make_user(username="rest", first_name="Rest", last_name="Ing", email="")
    gone = make_user(username="gone", first_name="Gone", last_name="Away")
    services.user_deactivate(resting, by=admin_user, reason="Leave")
    services.user_delete(gone, by=admin_user, reason="Left")
    enrolment = enrollment_services.enrollment_create(
        user=jo, course=course, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_set_state(enrolment, "completed", by=admin_user, reason="t")
    enrollment_services.certificate_issue(enrolment, by=admin_user, reason="Passed")
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="t"
    )
    services.segment_add_members(segment, services_users(jo, resting), by=admin_user, reason="t")
    return {"course": course, "jo": jo, "segment": segment}


def services_users(*people):
    from users.models import User

    return User.objects.filter(pk__in=[person.pk for person in people])


def violations(page, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    results = Axe().run(page, options=WCAG_AA)
    found = results.response["violations"]
    return [
        (rule["id"], rule["help"], [node["target"] for node in rule["nodes"]][:5]) for rule in found
    ]


ADMIN_PAGES = [
    "/admin/",
    "/admin/users/user/?status=all",
    "/admin/users/user/{jo}/change/",
    "/admin/users/user/{jo}/history/",
    "/admin/enrollments/course/",
    "/admin/enrollments/course/{course}/change/",
    "/admin/enrollments/enrollment/",
    "/admin/enrollments/certificate/",
    "/admin/users/segment/{segment}/change/",
    "/admin/users/organisation/",
    "/admin/reports/",
    "/admin/reports/analytics/",
    "/admin/reports/archived/",
    "/admin/reports/history/",
    "/admin/reports/changes/",
    "/admin/imports/importjob/",
]


def test_admin_pages_have_no_wcag_violations(page, admin_user, content):
    sign_in(page, "admin")
    ids = {"jo": content["jo"].pk, "course": content["course"].pk}
    ids["segment"] = content["segment"].pk
    found = {}
    for path in ADMIN_PAGES:
        problems = violations(page, path.format(**ids))
        if problems:
            found[path] = problems
    assert not found, "\n".join(f"{path}: {problems}" for path, problems in found.items())


def test_learner_and_sign_in_pages_have_no_wcag_violations(page, content):
    assert violations(page, "/account/login/") == []
    assert violations(page, "/admin/login/") == []
    sign_in(page, "jo.bloggs", at="/account/login/")
    assert violations(page, "/") == []
