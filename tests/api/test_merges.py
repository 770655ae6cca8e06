"""PUT /users/:id/merge_into/:destination_user_id and POST /users/:id/split, as Canvas; bad
input is a 400 with a clear message and changes nothing."""

import pytest
from django.utils import timezone

from enrollments.models import Enrollment
from users.models import Merge, User, UserStatus

pytestmark = pytest.mark.django_db


def test_merge_into_by_sis_ids_returns_the_destination(api, make_user, course, enrol):
    keep = make_user(username="keep", sis_user_id="S-KEEP")
    other = make_user(username="other", sis_user_id="S-OTHER")
    enrollment = enrol(other, course)
    response = api.put("/api/v1/users/sis_user_id:S-OTHER/merge_into/sis_user_id:S-KEEP")
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["login_id"]) == (keep.pk, "keep")
    assert Enrollment.objects.get(pk=enrollment.pk).user_id == keep.pk
    merge = Merge.objects.get()
    assert merge.reason == "API: PUT /api/v1/users/:user_id/merge_into/:destination_user_id"


def test_merge_into_a_user_of_an_account(api, make_user, organisation):
    keep, other = make_user(), make_user()
    url = f"/api/v1/users/{other.pk}/merge_into/accounts/{organisation.pk}/users/{keep.pk}"
    response = api.put(url)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == keep.pk


def test_split_returns_the_users_restored(api, make_user, course, enrol):
    keep, other = make_user(), make_user()
    enrollment = enrol(other, course)
    assert api.put(f"/api/v1/users/{other.pk}/merge_into/{keep.pk}").status_code == 200
    response = api.post(f"/api/v1/users/{keep.pk}/split")
    assert response.status_code == 200, response.content
    assert [user["id"] for user in response.json()] == [other.pk]
    assert Enrollment.objects.get(pk=enrollment.pk).user_id == other.pk
    other.refresh_from_db()
    assert other.status == UserStatus.ACTIVE

    again = api.post(f"/api/v1/users/{keep.pk}/split")
    assert again.status_code == 400
    assert "no merged accounts" in again.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("self", "cannot be merged into itself"),
        ("deleted", "is deleted"),
        ("anonymised", "anonymised"),
        ("policy", "does not allow merging an SIS account"),
    ],
)
def test_bad_merges_are_400_and_change_nothing(
    api, make_user, organisation, admin_user, case, message
):
    keep = make_user(sis_user_id="S-1")
    other = make_user(sis_user_id="S-2")
    if case == "self":
        other = keep
    elif case == "deleted":
        User.objects.filter(pk=other.pk).update(status=UserStatus.DELETED)
    elif case == "anonymised":
        User.objects.filter(pk=other.pk).update(anonymised_at=timezone.now())
    else:
        organisation.forbid_merging_sis_with_self_registered = True
        organisation.save()
        User.objects.filter(pk=other.pk).update(sis_user_id=None)
    statuses = dict(User.objects.values_list("pk", "status"))
    response = api.put(f"/api/v1/users/{other.pk}/merge_into/{keep.pk}")
    assert response.status_code == 400, response.content
    assert message in response.json()["errors"][0]["message"]
    assert not Merge.objects.exists()
    assert dict(User.objects.values_list("pk", "status")) == statuses


def test_power_user_cannot_reach_another_organisation(power_api, make_user, partner):
    ours = make_user(organisation=partner)
    theirs = make_user()
    # Out of scope reads as nonexistent: the other organisation's person is not found.
    response = power_api.put(f"/api/v1/users/{theirs.pk}/merge_into/{ours.pk}")
    assert response.status_code == 404
    assert not Merge.objects.exists()


def test_split_after_a_secondary_was_anonymised_is_400(api, make_user):
    keep, other = make_user(), make_user()
    api.put(f"/api/v1/users/{other.pk}/merge_into/{keep.pk}")
    User.objects.filter(pk=other.pk).update(anonymised_at=timezone.now())
    response = api.post(f"/api/v1/users/{keep.pk}/split")
    assert response.status_code == 400
    assert "anonymised" in response.json()["errors"][0]["message"]
    assert Merge.objects.get().undone_at is None
