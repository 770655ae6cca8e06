import pytest

from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username, password=PASSWORD):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_signs_in_and_deactivates_a_learner(page, screenshot, admin_user, make_user):
    learner = make_user(username="jo.bloggs", first_name="Jo", last_name="Bloggs")
    sign_in(page, "admin")
    page.get_by_role("link", name="Users", exact=True).first.click()
    page.goto("/admin/users/user/?status=all")
    page.locator("#searchbar").fill("bloggs")
    page.locator("#searchbar").press("Enter")
    page.wait_for_url("**q=bloggs*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.filter(has_text="jo.bloggs")
    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("deactivate_selected")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("1 active users become inactive").wait_for()
    page.get_by_label("Reason").fill("Season over")
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_text("Deactivated 1 users.").wait_for()
    screenshot("users-after-deactivation")
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE


def test_an_inactive_user_cannot_sign_in(page, admin_user, make_user):
    gone = make_user(username="gone", is_staff=True)
    services.user_deactivate(gone, by=admin_user, reason="Left")
    sign_in(page, "gone")
    assert page.get_by_text("Please enter the correct username and password").is_visible()
