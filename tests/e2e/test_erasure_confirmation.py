"""Erasing a person in a real browser: the row menu, the typed ERASE, the receipt."""

import re

import pytest

from tests.e2e.test_users_page import sign_in
from users import services
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_erase_from_the_row_menu_with_the_typed_confirmation(
    page, screenshot, admin_user, make_user
):
    person = make_user(username="ria.erased", email="ria@erased.example", first_name="Ria")
    sign_in(page, "admin")
    page.goto("/admin/users/user/?q=ria.erased")
    row = page.locator("#result_list tbody tr", has_text="ria.erased")
    row.locator(".row-menu summary").click()
    row.get_by_role("link", name="Erase personal data").click()
    page.wait_for_url(re.compile(r".*/erase/$"))
    assert "This cannot be undone" in page.content()

    page.get_by_label("Type ERASE to confirm").fill("erase it")
    page.get_by_role("button", name="Erase personal data").click()
    page.get_by_text("Type ERASE in the box to confirm. Nothing was erased.").wait_for()
    assert User.objects.get(pk=person.pk).anonymised_at is None

    page.get_by_label("Reason (kept on the receipt").fill("Request from ria@erased.example")
    page.get_by_label("Type ERASE to confirm").fill("ERASE")
    page.get_by_role("button", name="Erase personal data").click()
    page.wait_for_url(re.compile(rf".*/admin/users/user/{person.pk}/change/$"))
    page.locator("#erasure-receipt").wait_for()
    screenshot("erasure-receipt-on-card")
    label = services.pseudonym_label(person.pk)
    assert label in page.locator("#erasure-receipt").inner_text()
    assert "ria@erased.example" not in page.content()
    assert User.objects.get(pk=person.pk).username == f"former-learner-{person.pk:x}"
