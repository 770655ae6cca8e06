"""Bulk actions on the users page: confirmations with counts, all matching across pages,
reactivation links and passwords, delete, enrol, email, segments, scoped choices."""

import csv
import io

import pytest
from django.core import mail

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from tests.users.helpers import CHANGELIST, bulk, sign_in
from users import services
from users.models import Segment, User, UserStatus

pytestmark = pytest.mark.django_db


# Bulk actions -------------------------------------------------------------------------


def test_bulk_deactivate_confirms_with_counts_first(client, admin_user, make_user):
    learners = [make_user() for _ in range(3)]
    services.user_deactivate(learners[2], by=admin_user, reason="t")
    sign_in(client, admin_user)
    page = bulk(client, "deactivate_selected", learners).content.decode()
    assert "2 active users become inactive" in page
    assert "1 are already inactive" in page
    assert User.objects.filter(status="inactive").count() == 1
    response = bulk(client, "deactivate_selected", learners, confirm=True, reason="Season over")
    assert response.status_code == 302
    assert User.objects.filter(pk__in=[u.pk for u in learners], status="inactive").count() == 3
    assert learners[0].history.first().history_change_reason == "Season over"


def test_bulk_on_all_matching_across_pages(client, admin_user, make_user):
    seasonal = [make_user(last_name="Seasonal") for _ in range(4)]
    make_user(last_name="Permanent")
    sign_in(client, admin_user)
    # The browser sends the ticked rows of the page it shows, plus "select across".
    response = client.post(
        CHANGELIST + "?q=Seasonal",
        {
            "action": "deactivate_selected",
            "index": "0",
            "select_across": "1",
            "_selected_action": [seasonal[0].pk],
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(last_name="Seasonal", status="inactive").count() == 4
    assert User.objects.get(last_name="Permanent").status == UserStatus.ACTIVE


def test_bulk_preview_says_how_many_it_does_not_list(client, admin_user, make_user):
    from users.admin.bulk import PREVIEW_NAMES

    people = [make_user() for _ in range(PREVIEW_NAMES + 3)]
    sign_in(client, admin_user)
    page = bulk(client, "deactivate_selected", people).content.decode()
    assert f"{PREVIEW_NAMES + 3} active users become inactive" in page
    assert f"The first {PREVIEW_NAMES}, by username:" in page
    assert "and 3 more." in page
    few = bulk(client, "deactivate_selected", people[:2]).content.decode()
    assert "Among them:" in few and "more." not in few


def test_bulk_preview_beyond_the_count_cap_says_so(client, admin_user, make_user, monkeypatch):
    from users.admin.bulk import PREVIEW_NAMES

    monkeypatch.setattr("users.admin.bulk.COUNT_CAP", PREVIEW_NAMES + 2)
    people = [make_user() for _ in range(PREVIEW_NAMES + 5)]
    sign_in(client, admin_user)
    page = bulk(client, "deactivate_selected", people).content.decode()
    assert "and 2+ more." in page


def test_bulk_deactivate_names_the_people_who_run_the_admin_first(
    client, admin_user, make_user, manager
):
    """Among a "select all" of thousands, a manager or power user would be one name in the
    count: the confirmation names them, and says they lose their access too."""
    learners = [make_user() for _ in range(3)]
    sign_in(client, admin_user)
    page = bulk(client, "deactivate_selected", [*learners, manager]).content.decode()
    assert "Among them are people who run this admin; they lose their access too" in page
    warning = page.split('class="bulk-admin-accounts"')[1].split("</div>")[0]
    assert "(manager, Manager)" in warning
    assert all(learner.username not in warning for learner in learners)
    plain = bulk(client, "deactivate_selected", learners).content.decode()
    assert "people who run this admin" not in plain


def test_bulk_action_on_nothing_says_so(client, admin_user):
    sign_in(client, admin_user)
    response = client.post(
        CHANGELIST + "?q=nobody-matches",
        {"action": "deactivate_selected", "index": "0", "select_across": "1"},
        follow=True,
    )
    assert "Items must be selected" in response.content.decode()
    # A selection whose people no longer match (another admin deleted them meanwhile).
    response = client.post(
        CHANGELIST + "?q=nobody-matches",
        {
            "action": "deactivate_selected",
            "index": "0",
            "select_across": "1",
            "_selected_action": [admin_user.pk],
        },
        follow=True,
    )
    assert "No users match; nothing was changed." in response.content.decode()


def test_bulk_reactivate_reports_links_and_passwords_downloadable_once(
    client, admin_user, make_user
):
    with_email, without = make_user(), make_user(email="")
    services.users_deactivate(
        User.objects.filter(pk__in=[with_email.pk, without.pk]), by=admin_user, reason="t"
    )
    sign_in(client, admin_user)
    response = bulk(client, "reactivate_selected", [with_email, without], confirm=True)
    page = response.content.decode()
    assert "1 got a password reset link by email." in page
    download = response.context["download_url"]
    first = client.get(download)
    rows = list(csv.DictReader(io.StringIO(first.content.decode("utf-8-sig"))))
    assert {row["username"] for row in rows} == {with_email.username, without.username}
    password = next(
        row["temporary_password"] for row in rows if row["username"] == without.username
    )
    assert len(password) == 12
    assert client.get(download).status_code == 404


def test_bulk_delete_lists_people_with_activity_apart(client, admin_user, make_user, course):
    idle, engaged = make_user(), make_user()
    User.objects.filter(pk=engaged.pk).update(last_login="2025-01-01T00:00:00Z")
    sign_in(client, admin_user)
    page = bulk(client, "delete_users", [idle, engaged]).content.decode()
    assert "1 users with no activity" in page and "1 users have activity" in page
    assert User.objects.filter(status="deleted").count() == 0
    # Without the tick: the people without activity are deleted, the others left alone.
    response = bulk(client, "delete_users", [idle, engaged], confirm=True)
    assert response.status_code == 302
    assert User.objects.get(pk=idle.pk).status == UserStatus.DELETED
    assert User.objects.get(pk=engaged.pk).status == UserStatus.ACTIVE
    page = client.get(response.url).content.decode()
    assert "Deleted 1 users. 1 with activity were left alone" in page
    # With the tick: everyone.
    response = bulk(
        client, "delete_users", [idle, engaged], confirm=True, include_active_people="on"
    )
    assert response.status_code == 302
    assert User.objects.get(pk=engaged.pk).status == UserStatus.DELETED


def test_bulk_enrol_skips_inactive_by_default(client, admin_user, make_user, course):
    active, inactive = make_user(), make_user()
    services.user_deactivate(inactive, by=admin_user, reason="t")
    sign_in(client, admin_user)
    page = bulk(client, "enrol_in_course", [active, inactive]).content.decode()
    assert "1 of the selected users are inactive" in page
    response = bulk(
        client,
        "enrol_in_course",
        [active, inactive],
        confirm=True,
        course=course.pk,
        role="StudentEnrollment",
        inactive="skip",
    )
    assert response.status_code == 302
    assert list(Enrollment.objects.filter(course=course).values_list("user_id", flat=True)) == [
        active.pk
    ]
    bulk(
        client,
        "enrol_in_course",
        [active, inactive],
        confirm=True,
        course=course.pk,
        role="StudentEnrollment",
        inactive="include",
    )
    assert Enrollment.objects.filter(course=course, user=inactive).exists()


def test_bulk_email_excludes_inactive_and_deleted(
    client, admin_user, make_user, django_capture_on_commit_callbacks
):
    active, inactive, deleted = make_user(), make_user(), make_user()
    services.user_deactivate(inactive, by=admin_user, reason="t")
    services.user_delete(deleted, by=admin_user, reason="t")
    sign_in(client, admin_user)
    page = bulk(client, "email_users", [active, inactive, deleted]).content.decode()
    assert "Excluded: 1 inactive, 1 deleted" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bulk(
            client,
            "email_users",
            [active, inactive, deleted],
            confirm=True,
            subject="New course",
            body="Have a look.",
        )
    assert [message.to for message in mail.outbox] == [[active.email]]


def test_bulk_segment_add_and_remove(client, admin_user, make_user, organisation):
    segment = services.segment_create(name="Night", organisation=organisation, by=None, reason="t")
    people = [make_user(), make_user()]
    services.user_deactivate(people[1], by=admin_user, reason="t")
    sign_in(client, admin_user)
    bulk(client, "add_to_segment", people, confirm=True, segment=segment.pk)
    assert Segment.objects.get(pk=segment.pk).members.count() == 2
    bulk(client, "remove_from_segment", people[:1], confirm=True, segment=segment.pk)
    assert list(Segment.objects.get(pk=segment.pk).members.all()) == [people[1]]


def test_power_user_bulk_choices_are_scoped(client, power_user, organisation, partner):
    services.segment_create(name="Acme only", organisation=organisation, by=None, reason="t")
    mine = services.segment_create(name="Partner crew", organisation=partner, by=None, reason="t")
    enrollment_services.course_create(
        code="ACME1", name="Acme course", organisation=organisation, by=None, reason="t"
    )
    theirs = services.user_create(username="crew", organisation=partner, by=None, reason="t")
    sign_in(client, power_user)
    response = bulk(client, "add_to_segment", [theirs])
    assert list(response.context["form"].fields["segment"].queryset) == [mine]
    response = bulk(client, "enrol_in_course", [theirs])
    assert not response.context["form"].fields["course"].queryset.filter(code="ACME1").exists()
