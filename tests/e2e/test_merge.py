"""Finding duplicates, previewing and merging them, then undoing the merge, in a browser."""

import pytest

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from tests.e2e.test_users_page import sign_in
from users.models import Merge, User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_finder_preview_merge_then_undo(page, screenshot, admin_user, make_user, course):
    keep = make_user(username="jo.smith", email="Jo.Smith@example.com", first_name="Jo")
    other = make_user(username="jsmith2", email="jo.smith@EXAMPLE.com", first_name="Jo")
    ours = enrollment_services.enrollment_create(
        user=keep, course=course, by=admin_user, reason="set-up", notify=False
    )
    theirs = enrollment_services.enrollment_create(
        user=other, course=course, by=admin_user, reason="set-up", notify=False
    )
    enrollment_services.enrollment_set_state(
        theirs, EnrollmentState.COMPLETED, by=admin_user, reason="set-up"
    )
    sign_in(page, admin_user.username)

    page.goto("/admin/users/duplicates/")
    group = page.locator("#duplicate-groups tbody tr").filter(has_text="jsmith2")
    group.get_by_role("link", name="Preview merge").click()
    page.get_by_label("(jsmith2").check()
    page.wait_for_url(lambda url: f"primary={other.pk}" in url)
    page.get_by_label("(jo.smith").check()
    page.wait_for_url(lambda url: f"primary={keep.pk}" in url)
    conflict = page.locator("#merge-conflicts tbody tr").first
    assert "jsmith2: Completed" in conflict.inner_text()
    assert "jo.smith: Active" in conflict.inner_text()
    assert "Completed beats Active" in conflict.inner_text()
    page.get_by_label("Let jsmith2 still sign in").check()
    page.get_by_label("Reason (kept in the history)").fill("Same person, ticket 42")
    screenshot("merge-preview")
    page.get_by_role("button", name="Merge into jo.smith").click()
    page.locator("#merge-summary").wait_for()
    assert "jsmith2 merged into jo.smith" in page.locator("#merge-summary").inner_text()
    assert User.objects.get(pk=other.pk).status == UserStatus.DELETED
    assert not Enrollment.objects.filter(pk=ours.pk).exists()

    page.get_by_label("Reason (kept in the history)").fill("Two different people after all")
    page.get_by_role("button", name="Undo this merge").click()
    page.locator("#undo-report").wait_for()
    report = page.locator("#undo-report").inner_text()
    assert "enrolment (set aside)" in report and "restored" in report
    screenshot("merge-undone")
    assert User.objects.get(pk=other.pk).status == UserStatus.ACTIVE
    assert Enrollment.objects.get(pk=ours.pk).user_id == keep.pk
    assert Enrollment.objects.get(pk=theirs.pk).user_id == other.pk
    assert Merge.objects.get().undone_by_id == admin_user.pk


def test_refused_merge_shows_why_and_changes_nothing(page, admin_user, make_user, organisation):
    organisation.forbid_merging_sis_with_self_registered = True
    organisation.save()
    sis = make_user(username="sis.person", sis_user_id="S-9")
    own = make_user(username="self.registered")
    sign_in(page, admin_user.username)
    page.goto(f"/admin/users/duplicates/preview/?ids={sis.pk},{own.pk}")
    assert "does not allow merging an SIS account" in page.locator("#merge-refusal").inner_text()
    assert page.get_by_role("button", name="Merge into sis.person").count() == 0
    assert not Merge.objects.exists()
