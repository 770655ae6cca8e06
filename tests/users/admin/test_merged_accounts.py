"""A merged-away account through the admin pages: undelete (the card's page and the bulk
action) is refused with the merge's own words, and nothing changes (issue 17's gap)."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


@pytest.fixture
def merged(make_user, admin_user, client):
    primary = make_user(username="jo.smith")
    other = make_user(username="jsmith2")
    merge = services.users_merge(
        primary=primary, others=[other], by=admin_user, reason="Duplicate account"
    )
    assert client.login(username=admin_user.username, password=PASSWORD)
    return merge, other


def _shown(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.url).content.decode()


def test_undelete_page_refuses_a_merged_away_account(client, merged):
    merge, other = merged
    response = client.post(
        reverse("admin:users_user_undelete", args=[other.pk]), {"reason": "Came back"}
    )
    page = _shown(client, response)
    assert "smith2 was merged into jo.smith on" in page  # the page capitalises it
    assert f"undo that merge (merge {merge.pk}, on /admin/users/merges/{merge.pk}/)" in page
    assert User.objects.get(pk=other.pk).status == UserStatus.DELETED


def test_bulk_undelete_refuses_a_selection_with_a_merged_away_account(
    client, merged, make_user, admin_user
):
    _, other = merged
    gone = make_user(username="gone")
    services.user_delete(gone, by=admin_user, reason="Left")
    data = {
        "action": "undelete_users",
        "index": "0",
        "_selected_action": [other.pk, gone.pk],
        "confirm": "yes",
        "reason": "Came back",
    }
    page = _shown(client, client.post(CHANGELIST + "?status=deleted", data))
    assert "smith2 was merged into jo.smith on" in page  # the page capitalises it
    assert "Nothing was changed." in page
    statuses = set(User.objects.filter(pk__in=[other.pk, gone.pk]).values_list("status"))
    assert statuses == {(UserStatus.DELETED,)}
