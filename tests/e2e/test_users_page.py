"""The users page as a training admin uses it, in a real browser."""

import re

import pytest
from django.contrib.auth.models import Group

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from lms_admin.plumbing.scoping import MANAGER, TRAINING_ADMIN
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserSession, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(
    page,
    username,
    password=PASSWORD,
    *,
    expect_success=True,
    at="/admin/login/",
    refusal="correct username and password",
):
    page.goto(at)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if expect_success:
        page.wait_for_url(lambda url: "/login/" not in url)
    else:
        page.get_by_text(re.compile(refusal)).wait_for()


def search(page, term, tab="all"):
    page.goto(f"/admin/users/user/?status={tab}")
    page.locator("#searchbar").fill(term)
    page.locator("#searchbar").press("Enter")
    page.wait_for_url(re.compile(r".*q=" + re.escape(term)))


def switch(page, username):
    return page.get_by_role("switch", name=f"Active: {username}")


def assert_fits(page, row):
    """Every column of the row, the switch, last sign-in and the ⋯ menu included, is inside
    the window and the table does not scroll sideways."""
    width = page.viewport_size["width"]
    for part in (".lifecycle-switch", "[class*=field-last_login]", ".row-menu summary"):
        box = row.locator(part).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, (part, box, width)
    overflow = page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth - r.clientWidth; }"
    )
    assert overflow <= 0, overflow
    table = page.locator("#result_list").bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert table["x"] + table["width"] <= filters["x"], (table, filters)


def test_switch_a_user_off_and_on_through_the_dialog(page, screenshot, admin_user, make_user):
    learner = make_user(
        username="jo.bloggs",
        first_name="Jo",
        last_name="Bloggs",
        email="josephine.bloggs-worthington@training.example.com",
        sis_user_id="EMP-2024-000123",
    )
    User.objects.filter(pk=learner.pk).update(last_login="2025-01-15T09:00:00Z")
    sign_in(page, "admin")
    search(page, "bloggs")
    row = page.locator("#result_list tbody tr", has_text="jo.bloggs")
    assert row.count() == 1
    screenshot("users-page")
    assert_fits(page, row)
    row.locator(".row-menu summary").click()
    reset = row.get_by_role("link", name="Reset password")
    reset.wait_for()
    box = reset.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    screenshot("users-page-row-menu")
    row.locator(".row-menu summary").click()

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
    # The right password for an inactive account says so, and whom to contact.
    sign_in(
        their_page,
        "jo.bloggs",
        expect_success=False,
        at="/account/login/",
        refusal="Your account is inactive",
    )
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
    # It forces a new password before any other page.
    theirs.wait_for_url(re.compile(r".*/account/choose-password/.*"))
    theirs.goto("/")
    theirs.wait_for_url(re.compile(r".*/account/choose-password/.*"))

    # It works once: a second sign-in with it fails, although no new password has been
    # chosen yet (so a reusable temporary password would let this one in).
    assert User.objects.get(pk=learner.pk).must_change_password
    again = browser.new_context(base_url=live_server.url)
    second = again.new_page()
    sign_in(second, "no.mail", password, expect_success=False, at="/account/login/")
    again.close()

    # The first sign-in chooses the new password and goes on.
    theirs.get_by_label(re.compile(r"^New password:?$")).fill("my-own-passphrase-42")
    theirs.get_by_label(re.compile(r"^New password confirmation")).fill("my-own-passphrase-42")
    theirs.get_by_role("button", name="Save my new password").click()
    theirs.get_by_text("Hello No").wait_for()
    learner_context.close()
    assert not User.objects.get(pk=learner.pk).must_change_password


def test_tick_box_enrolment_skips_an_inactive_user(page, screenshot, admin_user, make_user, course):
    active = make_user(username="ann.active", last_name="Cohort")
    inactive = make_user(username="ian.inactive", last_name="Cohort")
    services.user_deactivate(inactive, by=admin_user, reason="Leave")
    cohort = enrollment_services.section_create(course, name="Cohort B", by=admin_user, reason="t")
    other = enrollment_services.course_create(
        code="OTHER1", name="Other course", by=admin_user, reason="t"
    )
    enrollment_services.section_create(other, name="Other cohort", by=admin_user, reason="t")
    sign_in(page, "admin")
    search(page, "Cohort")
    for username in ("ann.active", "ian.inactive"):
        page.locator("#result_list tbody tr", has_text=username).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("enrol_in_course")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("1 of the selected users are inactive").wait_for()
    assert page.get_by_label("Skip inactive users").is_checked()
    section = page.get_by_label("Section")
    assert section.locator("option").all_inner_texts() == ["The course's default section"]
    page.get_by_label("Course").select_option(label=str(course))
    # Only the chosen course's sections are offered.
    section.locator("option", has_text="Cohort B").wait_for(state="attached")
    assert section.locator("option").all_inner_texts() == [
        "The course's default section",
        "Cohort B",
    ]
    section.select_option(label="Cohort B")
    screenshot("bulk-enrol-confirmation")
    page.get_by_role("button", name="Enrol").click()
    page.get_by_text("Enrolled 1 users").wait_for()
    enrolled = set(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    assert enrolled == {active.pk}
    assert Enrollment.objects.get(user=active).section == cohort


def test_the_dialog_shows_why_a_change_was_refused(page, admin_user, make_user):
    make_user(username="jo.bloggs", first_name="Jo", last_name="Bloggs")
    make_user(username="other.admin", is_staff=True, groups=[TRAINING_ADMIN])
    sign_in(page, "admin")
    search(page, "bloggs")
    # Meanwhile this admin becomes a manager, who may look but not change.
    admin_user.groups.set([Group.objects.get(name=MANAGER)])
    switch(page, "jo.bloggs").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm").click()
    error = page.locator("#lifecycle-error")
    error.wait_for()
    assert error.inner_text() == "Managers can look at users but not change them."
    assert User.objects.get(username="jo.bloggs").status == UserStatus.ACTIVE

    # And when the session has ended (signed out elsewhere), it says so.
    admin_user.groups.set([Group.objects.get(name=TRAINING_ADMIN)])
    UserSession.objects.all().delete()
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your session has ended. Sign in again, then retry.").wait_for()
    assert "Check your connection" not in error.inner_text()


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


def test_a_power_user_ticking_every_row_sees_every_tickable_row_counted(
    page, power_user, partner, make_user
):
    """Their own row has no tick box; "select all" on the page ticks the two learners' rows
    and the counter says so: "2 of 2 selected", not "2 of 3"."""
    make_user(username="learner.one", organisation=partner)
    make_user(username="learner.two", organisation=partner)
    sign_in(page, power_user.username)
    page.goto("/admin/users/user/?status=all")
    counter = page.locator(".action-counter")
    assert counter.inner_text() == "0 of 2 selected"
    page.locator("#action-toggle").check()
    page.get_by_text("2 of 2 selected").wait_for()
    assert page.locator("input.action-select:checked").count() == 2
