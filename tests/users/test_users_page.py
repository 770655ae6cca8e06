"""The users page and the user card (issue: toggles, reactivation passwords, bulk work)."""

import csv
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from tests.conftest import PASSWORD
from users import services
from users.models import Segment, User, UserStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def listed(response):
    return [user.username for user in response.context["cl"].result_list]


def tabs(response):
    return {tab["label"]: tab for tab in response.context["status_tabs"]}


# Tabs, counts, search, filters -------------------------------------------------------


def test_tabs_show_each_status_with_counts(client, admin_user, make_user):
    inactive, deleted = make_user(), make_user()
    make_user()
    services.user_deactivate(inactive, by=admin_user, reason="Left")
    services.user_delete(deleted, by=admin_user, reason="Duplicate")
    sign_in(client, admin_user)

    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = tabs(response)
    assert [label for label in shown] == ["Active", "Inactive", "Deleted", "All"]
    assert shown["Active"]["current"] and shown["Active"]["count"] == "2"
    assert (shown["Inactive"]["count"], shown["Deleted"]["count"], shown["All"]["count"]) == (
        "1",
        "1",
        "4",
    )
    assert inactive.username not in listed(response)
    page = response.content.decode()
    assert 'aria-current="page"' in page

    assert listed(client.get(CHANGELIST + "?status=inactive")) == [inactive.username]
    assert listed(client.get(CHANGELIST + "?status=deleted")) == [deleted.username]
    assert len(listed(client.get(CHANGELIST + "?status=all"))) == 4


def test_counts_are_capped(client, admin_user, make_user, monkeypatch):
    import lms_admin.plumbing.counting

    monkeypatch.setattr(lms_admin.plumbing.counting, "COUNT_CAP", 3)
    for _ in range(5):
        make_user()
    sign_in(client, admin_user)
    response = client.get(CHANGELIST)
    assert tabs(response)["Active"]["count"] == "3+"
    assert tabs(response)["Deleted"]["count"] == "0"
    assert "More than 3 users" in response.content.decode()


def test_search_puts_exact_sis_id_and_email_first(client, admin_user, make_user):
    make_user(username="anna.smithson", last_name="Smithson", sis_user_id="S-100")
    make_user(username="bob", last_name="Smith", email="smith@example.com", sis_user_id="S-1")
    make_user(username="zed.smith", last_name="Smith", sis_user_id="SMITH")
    sign_in(client, admin_user)

    assert listed(client.get(CHANGELIST + "?q=SMITH"))[0] == "zed.smith"
    assert listed(client.get(CHANGELIST + "?q=smith@example.com")) == ["bob"]
    assert set(listed(client.get(CHANGELIST + "?q=smith"))) == {
        "anna.smithson",
        "bob",
        "zed.smith",
    }


def test_filters_organisation_segment_role_sign_in_and_dates(
    client, admin_user, make_user, partner, organisation
):
    outsider = make_user(organisation=partner)
    member = make_user()
    segment = services.segment_create(name="Night", organisation=organisation, by=None, reason="t")
    services.segment_add_members(segment, User.objects.filter(pk=member.pk), by=None, reason="t")
    User.objects.filter(pk=member.pk).update(last_login="2020-01-01T00:00:00Z")
    User.objects.filter(pk=outsider.pk).update(date_joined="2021-06-15T10:00:00Z")
    sign_in(client, admin_user)

    assert listed(client.get(f"{CHANGELIST}?organisation={partner.pk}")) == [outsider.username]
    assert listed(client.get(f"{CHANGELIST}?segment={segment.pk}")) == [member.username]
    assert listed(client.get(f"{CHANGELIST}?role=Training+admin")) == ["admin"]
    assert member.username in listed(client.get(f"{CHANGELIST}?signed_in=365"))
    never = listed(client.get(f"{CHANGELIST}?signed_in=never"))
    assert member.username not in never and outsider.username in never
    dated = listed(client.get(f"{CHANGELIST}?created_before=2021-12-31&created_after=2021-01-01"))
    assert dated == [outsider.username]


def test_bad_filter_input_gives_a_message_not_an_error(client, admin_user):
    sign_in(client, admin_user)
    response = client.get(f"{CHANGELIST}?created_after=yesterday", follow=True)
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()
    response = client.get(
        f"{CHANGELIST}?created_after=2024-05-01&created_before=2024-01-01", follow=True
    )
    assert response.status_code == 200
    assert "later than" in response.content.decode()
    response = client.get(f"{CHANGELIST}?status=frozen", follow=True)
    assert response.status_code == 200


def test_users_page_query_count_does_not_grow_with_rows(client, admin_user, make_user):
    sign_in(client, admin_user)
    for _ in range(3):
        make_user()
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for _ in range(30):
        make_user()
    with CaptureQueriesContext(connection) as many:
        assert client.get(CHANGELIST + "?status=all").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 10, [q["sql"] for q in many.captured_queries]
    assert not any(
        re.search(r"SELECT COUNT\(\*\) AS \"__count\" FROM \"users_user\"\s*$", q["sql"])
        for q in many.captured_queries
    )


def test_each_row_has_an_accessible_switch_and_a_menu(client, admin_user, make_user):
    learner = make_user(username="jo")
    deleted = make_user(username="gone")
    services.user_delete(deleted, by=admin_user, reason="t")
    sign_in(client, admin_user)
    page = client.get(CHANGELIST + "?status=all").content.decode()
    assert 'role="switch" aria-checked="true" aria-label="Active: jo"' in page
    assert 'aria-label="Active: gone"' not in page
    for label in ("View/Edit user details", "History", "Reset password", "Delete", "Undelete"):
        assert label in page
    assert reverse("admin:users_user_toggle", args=[learner.pk]) in page


# The toggle ---------------------------------------------------------------------------


def toggle(client, user, **data):
    return client.post(
        reverse("admin:users_user_toggle", args=[user.pk]),
        {"expected_status": user.status, **data},
        HTTP_ACCEPT="application/json",
    )


def test_toggle_off_and_on_with_a_reset_link(
    client, admin_user, make_user, django_capture_on_commit_callbacks
):
    learner = make_user(email="jo.smith@example.com")
    sign_in(client, admin_user)

    response = toggle(client, learner, reason="Long-term leave")
    assert response.status_code == 200
    assert response.json()["status"] == "inactive"
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.history.first().history_change_reason == "Long-term leave"

    with django_capture_on_commit_callbacks(execute=True):
        response = toggle(client, learner)
    data = response.json()
    assert data["status"] == "active"
    assert "Password reset link sent to j…@e…" in data["message"]
    assert mail.outbox[-1].to == ["jo.smith@example.com"]


def test_toggle_on_without_email_shows_the_temporary_password(client, admin_user, make_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="t")
    learner.refresh_from_db()
    sign_in(client, admin_user)
    data = toggle(client, learner).json()
    assert len(data["temporary_password"]) == 12
    assert data["expires_label"]
    assert client.logout() is None
    assert client.login(username=learner.username, password=data["temporary_password"])


def test_toggle_without_javascript_uses_a_confirmation_page(client, admin_user, make_user):
    learner = make_user()
    sign_in(client, admin_user)
    url = reverse("admin:users_user_toggle", args=[learner.pk])
    page = client.get(url).content.decode()
    assert "They lose access at once; their enrolments and history are kept." in page
    response = client.post(url, {"expected_status": "active", "reason": "Left"})
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE


def test_a_stale_toggle_is_refused(client, admin_user, make_user):
    learner = make_user()
    sign_in(client, admin_user)
    services.user_deactivate(learner, by=admin_user, reason="Someone else")
    response = client.post(
        reverse("admin:users_user_toggle", args=[learner.pk]),
        {"expected_status": "active"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert "Someone else changed" in response.json()["error"]
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE


def test_toggle_needs_permission_and_csrf(client, manager, make_user, admin_user):
    learner = make_user()
    sign_in(client, manager)
    assert toggle(client, learner).status_code == 403
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, admin_user)
    response = strict.post(reverse("admin:users_user_toggle", args=[learner.pk]))
    assert response.status_code == 403
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


def test_power_user_cannot_toggle_another_organisation(client, power_user, make_user):
    learner = make_user()
    sign_in(client, power_user)
    assert toggle(client, learner).status_code == 404


# The user card ------------------------------------------------------------------------


def test_card_shows_training_history_for_an_inactive_user(
    client, admin_user, make_user, enrolled_in_every_state
):
    learner = make_user()
    enrolled_in_every_state(learner)
    services.user_deactivate(learner, by=admin_user, reason="Left the company")
    sign_in(client, admin_user)
    response = client.get(reverse("admin:users_user_change", args=[learner.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for state in ("Invited", "Active", "Inactive", "Completed", "Deleted"):
        assert f">{state}</span>" in page
    assert "Left the company" in page
    assert "Active → Inactive" in page
    assert response.context["training_history"].count() == 5


def test_card_history_shows_diffs_and_a_change_can_be_reverted(client, admin_user, make_user):
    learner = make_user(email="old@example.com")
    services.user_update(learner, by=admin_user, reason="Typo", email="new@example.com")
    sign_in(client, admin_user)
    response = client.get(reverse("admin:users_user_change", args=[learner.pk]))
    change = response.context["changes"][0]
    assert change.reason == "Typo"
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("email", "old@example.com", "new@example.com")
    ]
    response = client.post(reverse("admin:users_user_revert", args=[learner.pk, change.history_id]))
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.email == "old@example.com"
    assert learner.history.first().history_change_reason == f"Reverted change {change.history_id}"


def test_reverting_a_deactivation_reactivates_through_the_service(client, admin_user, make_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="Mistake")
    record = learner.history.first()
    sign_in(client, admin_user)
    response = client.post(reverse("admin:users_user_revert", args=[learner.pk, record.history_id]))
    assert response.status_code == 200  # shows the temporary password, once
    assert "Temporary password" in response.content.decode()
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


# Bulk actions -------------------------------------------------------------------------


def bulk(client, action, users, confirm=False, **data):
    payload = {
        "action": action,
        "index": "0",
        "_selected_action": [user.pk for user in users],
        **data,
    }
    if confirm:
        payload["confirm"] = "yes"
    return client.post(CHANGELIST + "?status=all", payload)


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


def test_page_size_can_be_chosen_and_is_kept_in_links(client, admin_user, make_user):
    for _ in range(30):
        make_user()
    sign_in(client, admin_user)
    response = client.get(CHANGELIST + "?per_page=25")
    assert len(listed(response)) == 25
    assert [c["size"] for c in response.context["page_sizes"]] == [25, 50, 100, 200]
    assert "per_page=25" in response.content.decode().split('class="paginator"')[1]
    assert len(listed(client.get(CHANGELIST + "?per_page=100"))) == 31
    # A size that is not offered falls back to the default.
    assert len(listed(client.get(CHANGELIST + "?per_page=7"))) == 31
