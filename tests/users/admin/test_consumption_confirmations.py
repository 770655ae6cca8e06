"""Before deactivating or deleting, one person or many, the confirmation says what they have
consumed and that it will not come back."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from enrollments import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(make_user, course, admin_user, organisation):
    course.credit_cost = 7
    course.save()
    services.organisation_add_credits(organisation, amount=20, by=admin_user, reason="t")
    people = [make_user(), make_user()]
    for person in people:
        enrollment = services.enrollment_create(
            user=person, course=course, by=admin_user, reason="t"
        )
        services.enrollment_start(enrollment, by=person)
    return people


@pytest.fixture
def signed_in(client, admin_user):
    assert client.login(username=admin_user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("page", ["toggle", "remove"])
def test_single_confirmation_says_what_was_consumed(signed_in, started, page):
    url = reverse(f"admin:users_user_{page}", args=[started[0].pk])
    text = signed_in.get(url).content.decode()
    assert "used 1 seat and 7 credits" in text
    assert "gives none of them back" in text


@pytest.mark.parametrize("action", ["deactivate_selected", "delete_users"])
def test_bulk_confirmation_says_what_was_consumed(signed_in, started, action):
    response = signed_in.post(
        reverse("admin:users_user_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in started], "index": 0},
    )
    text = response.content.decode()
    assert "2 of these people have used 2 seats and 14 credits" in text
    assert "gives none of them back" in text
