"""The review pages at /admin/users/review/ through the Django test client: lists with
counts and activity, starting a review, the CSV, the typed count, scoping and managers."""

import csv
import io

import pytest
from django.urls import reverse

from reports.models import ExportRecord
from tests.users.reviews_helpers import age, start_course
from users import services
from users.models import ReviewCandidate, ReviewKind, ReviewPolicy, ReviewRun, User, UserStatus

pytestmark = pytest.mark.django_db

INDEX = "/admin/users/review/"


@pytest.fixture
def people(make_user, course, admin_user):
    never = age(make_user(username="never", first_name="=cmd|calc"), joined_days_ago=400)
    dormant = age(make_user(username="dormant"), joined_days_ago=900, signed_in_days_ago=600)
    start_course(dormant, course, admin_user)
    return {"never": never, "dormant": dormant}


def _start(client):
    response = client.post(
        reverse("users_review_start"),
        {
            "kind": "manual",
            "never_signed_in_days": 365,
            "no_sign_in_days": 540,
            "include_marked": "on",
        },
    )
    assert response.status_code == 302
    return ReviewRun.objects.latest("id")


def test_the_review_page_lists_candidates_with_counts_and_activity(client, admin_user, people):
    client.force_login(admin_user)
    response = client.get(INDEX + "?never_signed_in_days=365&no_sign_in_days=540&list=no_sign_in")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Never signed in (1)" in page and "Active, no sign-in for long (1)" in page
    assert "dormant" in page and ">1</td>" in page  # one enrolment, started


def test_download_then_typed_count_applies_the_review(client, admin_user, people):
    client.force_login(admin_user)
    run = _start(client)
    apply_url = reverse("users_review_apply", args=[run.pk])
    refused = client.post(apply_url, {"typed_count": "2"}, follow=True)
    assert "Download the list" in refused.content.decode()
    download = client.get(reverse("users_review_download", args=[run.pk]))
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Username", "First name"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["never"][1] == "'=cmd|calc"  # a formula is neutralised
    assert by_name["never"][10] == "Delete" and by_name["dormant"][10] == "Deactivate"
    assert ExportRecord.objects.filter(report="dormant-account-review", user=admin_user).exists()
    wrong = client.post(apply_url, {"typed_count": "20"}, follow=True)
    assert "You typed 20, but this review lists 2 accounts" in wrong.content.decode()
    assert User.objects.get(username="never").status == UserStatus.ACTIVE
    done = client.post(apply_url, {"typed_count": "2", "reason": "Audit"}, follow=True)
    assert "Review applied: 1 deleted and 1 deactivated." in done.content.decode()
    again = client.post(apply_url, {"typed_count": "2"}, follow=True)
    assert "already closed" in again.content.decode()


def test_never_used_accounts_are_counted_and_reviewed_for_deletion(client, admin_user, people):
    client.force_login(admin_user)
    page = client.get(INDEX + "?created_before=2099-01-01").content.decode()
    assert "Choose a day in the past." in page
    import datetime

    day = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    page = client.get(INDEX + f"?created_before={day}").content.decode()
    assert "<strong>1</strong> accounts never signed in" in page
    client.post(reverse("users_review_start"), {"kind": "never_used", "created_before": day})
    run = ReviewRun.objects.get(kind=ReviewKind.NEVER_USED)
    assert list(
        ReviewCandidate.objects.filter(run=run).values_list("user__username", flat=True)
    ) == ["never"]


def test_a_power_user_sees_only_their_organisation_and_gets_404_for_another(
    client, power_user, partner, admin_user, people, make_user
):
    quiet = age(make_user(username="quiet", organisation=partner), joined_days_ago=400)
    client.force_login(admin_user)
    other_run = _start(client)
    client.force_login(power_user)
    page = client.get(INDEX).content.decode()
    assert "<small>quiet</small>" in page
    assert "<small>never</small>" not in page and "<small>dormant</small>" not in page
    for url in (
        reverse("users_review_run", args=[other_run.pk]),
        reverse("users_review_download", args=[other_run.pk]),
    ):
        assert client.get(url).status_code == 404
    missing = client.post(reverse("users_review_apply", args=[987654]), {"typed_count": "2"})
    reached = client.post(reverse("users_review_apply", args=[other_run.pk]), {"typed_count": "2"})
    assert missing.status_code == reached.status_code == 404
    assert User.objects.get(username="never").status == UserStatus.ACTIVE
    own = _start(client)
    assert list(own.candidates.values_list("user", flat=True)) == [quiet.pk]


def test_a_reviewer_decides_and_attests_on_the_run_page(client, power_user, partner, make_user):
    away = age(make_user(username="away", organisation=partner), joined_days_ago=400)
    policy = ReviewPolicy.objects.create(organisation=partner)
    run = services.review_run_schedule(policy)
    client.force_login(power_user)
    page = client.get(reverse("users_review_run", args=[run.pk])).content.decode()
    assert "away" in page and "The review is done" in page
    client.post(
        reverse("users_review_decide", args=[run.pk]),
        {"decision": "deactivate", "user": [away.pk], "reason": "Left"},
    )
    done = client.post(reverse("users_review_attest", args=[run.pk]), follow=True)
    assert "the review is recorded as done" in done.content.decode()
    away.refresh_from_db()
    assert away.status == UserStatus.INACTIVE


def test_a_manager_reads_reviews_but_cannot_change_anything(client, manager, people, admin_user):
    client.force_login(manager)
    assert client.get(INDEX).status_code == 200
    assert client.post(reverse("users_review_start"), {"kind": "manual"}).status_code == 403


def test_a_learner_cannot_open_reviews(client, people):
    client.force_login(people["never"])
    assert client.get(INDEX).status_code == 302  # to the admin's sign-in


def test_accounts_with_admin_rights_are_left_out_of_the_lists_and_the_page_says_so(
    client, admin_user, people, make_user
):
    age(make_user(username="dormant_staff", is_staff=True), joined_days_ago=400)
    client.force_login(admin_user)
    page = client.get(INDEX).content.decode()
    assert "<small>dormant_staff</small>" not in page
    assert "Never signed in (1)" in page
    assert "Accounts with admin rights are not reviewed here: 1 left out of these lists." in page


def test_applying_leaves_an_account_that_gained_admin_rights_as_it_is(client, admin_user, people):
    client.force_login(admin_user)
    run = _start(client)
    services.user_update(people["never"], is_staff=True, by=admin_user, reason="Helps now")
    client.get(reverse("users_review_download", args=[run.pk]))
    done = client.post(
        reverse("users_review_apply", args=[run.pk]), {"typed_count": "2"}, follow=True
    ).content.decode()
    assert "Review applied: 0 deleted and 1 deactivated" in done
    assert "1 account with admin rights was left as it is" in done
    assert User.objects.get(username="never").status == UserStatus.ACTIVE
