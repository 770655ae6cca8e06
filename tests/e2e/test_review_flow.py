"""The review flow in a real browser: open the review, start it, download the CSV, type
the number of accounts, apply."""

import csv
import io

import pytest

from tests.e2e.test_users_page import sign_in
from tests.users.reviews_helpers import age, start_course
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_open_review_download_csv_type_the_count_and_apply(
    page, screenshot, admin_user, make_user, course
):
    age(make_user(username="never_used"), joined_days_ago=400)
    dormant = age(make_user(username="long_gone"), joined_days_ago=900, signed_in_days_ago=600)
    start_course(dormant, course, admin_user)
    sign_in(page, "admin")

    page.goto("/admin/users/review/")
    assert page.locator(".review-tabs").inner_text().count("(1)") == 2
    page.click("#start-review input[type=submit]")
    page.wait_for_url("**/admin/users/review/*/")
    assert page.locator("#candidate-count").inner_text() == "2"

    with page.expect_download() as download_info:
        page.click("#download-csv")
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert rows["never_used"][10] == "Delete" and rows["long_gone"][10] == "Deactivate"

    page.reload()
    page.fill("#id_typed_count", "3")
    page.click("#apply input[type=submit]")
    assert (
        "You typed 3, but this review lists 2 accounts" in page.locator(".messagelist").inner_text()
    )
    assert User.objects.get(username="never_used").status == UserStatus.ACTIVE

    page.fill("#id_typed_count", "2")
    page.fill("#id_reason", "Quarterly audit")
    page.click("#apply input[type=submit]")
    assert "1 deleted and 1 deactivated" in page.locator(".messagelist").inner_text()
    screenshot("review-applied")
    assert User.objects.get(username="never_used").status == UserStatus.DELETED
    assert User.objects.get(username="long_gone").status == UserStatus.INACTIVE
