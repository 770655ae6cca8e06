"""The learner's side in a real browser: sign in, start a course (one seat used), complete
it, download the certificate PDF, open its check; deactivated in another browser, the open
page stops working on the next click; reactivated with a temporary password, must change
it, then sees every course."""

import re

import pytest

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from enrollments.selectors import seats_used
from tests.conftest import PASSWORD
from users import services

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username, password=PASSWORD):
    page.goto("/account/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_learner_starts_completes_downloads_and_verifies(
    page, screenshot, admin_user, make_user, course, organisation
):
    learner = make_user(username="lee", first_name="Lee", last_name="Learner", email="")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="t"
    )
    sign_in(page, "lee")
    page.get_by_role("heading", name="Hello Lee").wait_for()
    page.get_by_role("button", name="Start Safety basics").click()
    page.get_by_text("You started Safety basics.").wait_for()
    assert seats_used(organisation) == 1

    enrollment_services.enrollment_set_state(
        enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
    )
    certificate = enrollment_services.certificate_issue(enrollment, by=admin_user, reason="t")
    page.get_by_role("link", name="Certificates").click()
    page.get_by_text(certificate.verification_code).wait_for()
    screenshot("learner-certificates")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Download PDF")).click()
    path = info.value.path()
    assert path.read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name=re.compile("Verification page")).click()
    page.get_by_text("This certificate is valid.").wait_for()
    assert page.get_by_text("Lee Learner").is_visible()


def test_deactivated_elsewhere_then_reactivated_with_a_temporary_password(
    browser, live_server, page, admin_user, make_user, course, organisation
):
    learner = make_user(username="sam", first_name="Sam", email="")
    everyone = enrollment_services.course_create(
        code="ALL", name="For everyone", organisation=organisation, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    sign_in(page, "sam")
    page.get_by_role("heading", name="Hello Sam").wait_for()

    # The admin, in another browser context, deactivates Sam.
    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    admin_page.goto("/admin/login/")
    admin_page.get_by_label("Username").fill("admin")
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Log in").click()
    admin_page.goto(f"/admin/users/user/{learner.pk}/toggle/")
    admin_page.get_by_role("button", name="Confirm").click()
    admin_page.wait_for_load_state()
    admin_context.close()
    learner.refresh_from_db()
    assert learner.status == "inactive"

    # Sam's open page stops working on the next click.
    page.get_by_role("button", name="Start Safety basics").click()
    page.wait_for_url(re.compile(r".*/account/login/.*"))
    assert not Enrollment.objects.get(user=learner, course=course).started_at

    # While inactive, an "everyone" course enrols Sam silently.
    enrollment_services.course_set_enrollment_method(
        everyone, "everyone", by=admin_user, reason="t"
    )
    credentials = services.user_reactivate(learner, by=admin_user, reason="Back")
    sign_in(page, "sam", credentials.temporary_password)
    page.wait_for_url(re.compile(r".*/account/choose-password/.*"))
    page.get_by_label("New password", exact=True).fill("a-brand-new-passphrase-42")
    page.get_by_label("New password confirmation").fill("a-brand-new-passphrase-42")
    page.get_by_role("button", name="Save my new password").click()
    page.get_by_role("heading", name="Hello Sam").wait_for()
    assert page.get_by_text("Safety basics").is_visible()
    assert page.get_by_text("For everyone").is_visible()
