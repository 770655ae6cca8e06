"""canvasapi's User.merge_into, unchanged, against a live server; split through requests
(canvasapi has no split)."""

import pytest
import requests

from enrollments.models import Enrollment
from tests.api.test_canvasapi import canvas, roles  # noqa: F401  (fixtures)
from users.models import UserStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_canvasapi_merge_into_then_split(canvas, live_server, make_user, course, enrol):  # noqa: F811
    keep = make_user(username="keep", sis_user_id="S-KEEP")
    other = make_user(username="other", sis_user_id="S-OTHER")
    enrollment = enrol(other, course)

    source = canvas.get_user("S-OTHER", "sis_user_id")
    merged = source.merge_into(canvas.get_user(keep.pk))
    assert (merged.id, merged.login_id) == (keep.pk, "keep")
    assert Enrollment.objects.get(pk=enrollment.pk).user_id == keep.pk

    response = requests.post(
        f"{live_server.url}/api/v1/users/{keep.pk}/split",
        headers={"Authorization": f"Bearer {canvas._Canvas__requester.access_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert [user["login_id"] for user in response.json()] == ["other"]
    other.refresh_from_db()
    assert other.status == UserStatus.ACTIVE
    assert Enrollment.objects.get(pk=enrollment.pk).user_id == other.pk
