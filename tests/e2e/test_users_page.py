"""The users page as a training admin uses it, in a real browser."""

import re

import pytest

from enrollments.models import Enrollment
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username, password=PASSWORD, *, expect_success=True, at="/admin/login/"):
    page.goto(at)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if expect_success:
        page.wait_for_url(lambda url: "/login/" not in url)
    else:
        page.get_by_text(re.compile("correct username and password")).wait_for()


def search(page, term, tab="all"):
    page.goto(f"/admin/users/user/?status={tab}")
    page.locator("#searchbar").fill(term)
    page.locator("#searchbar").press("Enter")
    page.wait_for_url(re.compile(r".*q=" + re.escape(term)))


def switch(page, username):
    return page.get_by_role("switch", name=f"Active: {username}")


def test_switch_a_user_off_and_on_through_the_dialog(page, screenshot, admin_user, make_user):
    learner = make_user(username="jo.bloggs", first_name="Jo", last_name="Bloggs")
    sign_in(page, "admin")
    search(page, "bloggs")
    row = page.locator("#result_list tbody tr", has_text="jo.bloggs")
    assert row.count() == 1
    screenshot("users-page")

    switch(page, "jo.bloggs").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Deactivate Jo Bloggs?").wait_for()
    dialog.get_by_label("Reason").fill("Left the company")
    screenshot("users-page-dialog")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_text("is inactive: no access from now on").wait_for()
    page.get_by_role("button", name="Close").click()
    assert switch(page, "jo.bloggs").get_attribute("aria-checked") == "false"
    assert row.locator(".status-badge").inner_text() == "Inactive"
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.history.first().history_change_reason == "Left the company"

    # They can no longer sign in.
    other = page.context.browser.new_context(base_url=page.url.split("/admin")[0])
    their_page = other.new_page()
    sign_in(their_page, "jo.bloggs", expect_success=False, at="/account/login/")
    other.close()

    switch(page, "jo.bloggs").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    page.get_by_text("Password reset link sent to").wait_for()
    page.get_by_role("button", name="Close").click()
    assert switch(page, "jo.bloggs").get_attribute("aria-checked") == "true"
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


def test_temporary_password_for_a_user_without_email(
    page, browser, live_server, admin_user, make_user
):
    learner = make_user(username="no.mail", email="", first_name="No", last_name="Mail")
    services.user_deactivate(learner, by=admin_user, reason="Long-term leave")
    sign_in(page, "admin")
    search(page, "no.mail")
    switch(page, "no.mail").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    shown = page.locator("#lifecycle-password-value")
    shown.wait_for()
    password = shown.inner_text().strip()
    assert len(password) == 12
    page.get_by_role("button", name="Close").click()
    # Shown once: it is not on the page any more, nor after a reload.
    assert password not in page.content()
    page.reload()
    assert password not in page.content()

    learner_context = browser.new_context(base_url=live_server.url)
    theirs = learner_context.new_page()
    sign_in(theirs, "no.mail", password, at="/account/login/")
    theirs.wait_for_url(re.compile(r".*/account/choose-password/.*"))
    theirs.get_by_label(re.compile(r"^New password:?$")).fill("my-own-passphrase-42")
    theirs.get_by_label(re.compile(r"^New password confirmation")).fill("my-own-passphrase-42")
    theirs.get_by_role("button", name="Save my new password").click()
    theirs.get_by_text("Hello No").wait_for()
    learner_context.close()

    # It worked once: a second sign-in with it fails.
    again = browser.new_context(base_url=live_server.url)
    second = again.new_page()
    sign_in(second, "no.mail", password, expect_success=False, at="/account/login/")
    again.close()
    assert not User.objects.get(pk=learner.pk).must_change_password


def test_tick_box_enrolment_skips_an_inactive_user(page, screenshot, admin_user, make_user, course):
    active = make_user(username="ann.active", last_name="Cohort")
    inactive = make_user(username="ian.inactive", last_name="Cohort")
    services.user_deactivate(inactive, by=admin_user, reason="Leave")
    sign_in(page, "admin")
    search(page, "Cohort")
    for username in ("ann.active", "ian.inactive"):
        page.locator("#result_list tbody tr", has_text=username).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("enrol_in_course")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("1 of the selected users are inactive").wait_for()
    assert page.get_by_label("Skip inactive users").is_checked()
    page.get_by_label("Course").select_option(label=str(course))
    screenshot("bulk-enrol-confirmation")
    page.get_by_role("button", name="Enrol").click()
    page.get_by_text("Enrolled 1 users").wait_for()
    enrolled = set(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    assert enrolled == {active.pk}


def test_user_card_shows_training_history(
    page, screenshot, admin_user, make_user, enrolled_in_every_state
):
    learner = make_user(username="card.person", first_name="Card", last_name="Person")
    enrolled_in_every_state(learner)
    services.user_deactivate(learner, by=admin_user, reason="Left the company")
    sign_in(page, "admin")
    page.goto(f"/admin/users/user/{learner.pk}/change/")
    page.get_by_role("heading", name="Training history").wait_for()
    history = page.locator("#training-history tbody tr")
    assert history.count() == 5
    assert page.locator(".user-card .status-badge").inner_text() == "Inactive"
    screenshot("user-card")
