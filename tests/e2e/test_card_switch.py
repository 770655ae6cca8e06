"""The Active/Inactive switch next to the person's name on the user card (seed 002's
steps: row menu → View/Edit user details → the switch → Confirm), and the users page's tab
counts following a switch, in a real browser."""

import re

import pytest
from django.utils import dateformat
from django.utils.timezone import localtime

from tests.e2e.test_users_page import search, sign_in, switch
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def open_card_from_row_menu(page, username):
    search(page, username)
    row = page.locator("#result_list tbody tr", has_text=username)
    row.locator(".row-menu summary").click()
    row.get_by_role("link", name="View/Edit user details").click()
    page.wait_for_url(re.compile(r".*/admin/users/user/\d+/change/$"))


def test_deactivate_from_the_card_with_a_reason(page, admin_user, make_user):
    learner = make_user(username="jo.bloggs", first_name="Jo", last_name="Bloggs")
    sign_in(page, "admin")
    open_card_from_row_menu(page, "jo.bloggs")
    name = page.locator(".user-card-name")
    assert "Jo Bloggs" in name.locator("h2").inner_text()
    card_switch = name.get_by_role("switch", name="Active: jo.bloggs")
    assert card_switch.get_attribute("aria-checked") == "true"
    inline_scripts = page.locator('script:not([src]):not([type="application/json"])')
    assert inline_scripts.count() == 0, "no inline script (a CSP is coming)"

    card_switch.focus()
    page.keyboard.press(" ")  # a switch answers the space bar, as the role says
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Deactivate Jo Bloggs?").wait_for()
    dialog.get_by_label("Reason").fill("Left the company")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_text("is inactive: no access from now on").wait_for()
    # Closing the outcome reads the card again: its status line, not only the badge.
    with page.expect_navigation():
        page.get_by_role("button", name="Close").click()

    assert card_switch.get_attribute("aria-checked") == "false"
    assert page.locator(".user-card-status .status-badge").inner_text() == "Inactive"
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.history.first().history_change_reason == "Left the company"
    since = dateformat.format(localtime(learner.status_changed_at), "j M Y H:i")
    assert f"since {since}" in page.locator(".user-card-status").inner_text()


def test_a_second_click_on_confirm_sends_nothing_more(page, admin_user, make_user):
    learner = make_user(username="jo.quick", first_name="Jo", last_name="Quick")
    sign_in(page, "admin")
    page.goto(f"/admin/users/user/{learner.pk}/change/")
    sent = []
    page.on("request", lambda request: sent.append(request) if "/toggle/" in request.url else None)
    page.locator(".user-card-name").get_by_role("switch", name="Active: jo.quick").click()
    page.get_by_role("dialog").get_by_text("Deactivate Jo Quick?").wait_for()
    page.evaluate(
        "() => { const b = document.getElementById('lifecycle-confirm');"
        " b.click(); b.click(); b.click(); }"
    )
    page.get_by_text("is inactive: no access from now on").wait_for()
    assert [request.method for request in sent] == ["POST"]
    assert learner.history.count() == 2, "created, then deactivated once"


def test_reactivate_someone_without_email_shows_the_password_once(page, admin_user, make_user):
    learner = make_user(username="no.mail", email="", first_name="No", last_name="Mail")
    services.user_deactivate(learner, by=admin_user, reason="Long-term leave")
    sign_in(page, "admin")
    page.goto(f"/admin/users/user/{learner.pk}/change/")
    card_switch = page.locator(".user-card-name").get_by_role("switch", name="Active: no.mail")
    assert card_switch.get_attribute("aria-checked") == "false"
    card_switch.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Reactivate No Mail?").wait_for()
    dialog.get_by_text("temporary password").wait_for()
    dialog.get_by_role("button", name="Confirm").click()
    shown = page.locator("#lifecycle-password-value")
    shown.wait_for()
    password = shown.inner_text().strip()
    assert len(password) == 12
    with page.expect_navigation():
        page.get_by_role("button", name="Close").click()
    assert password not in page.content()
    assert card_switch.get_attribute("aria-checked") == "true"
    assert page.locator(".user-card-status .status-badge").inner_text() == "Active"
    page.reload()
    assert password not in page.content()
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


def test_the_tab_counts_follow_a_switch_on_the_users_page(page, admin_user, make_user):
    for n in range(3):
        make_user(username=f"crew{n}", last_name="Crew")
    sign_in(page, "admin")
    search(page, "crew", tab="active")

    def count(status):
        return page.locator(f'[data-status-tab="{status}"] .count').inner_text()

    assert (count("active"), count("inactive"), count("all")) == ("3", "0", "3")
    switch(page, "crew1").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    page.get_by_text("is inactive").wait_for()
    page.get_by_role("button", name="Close").click()
    assert (count("active"), count("inactive"), count("all")) == ("2", "1", "3")
    switch(page, "crew1").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    page.get_by_text("Password reset link sent to").wait_for()
    page.get_by_role("button", name="Close").click()
    assert (count("active"), count("inactive")) == ("3", "0")
