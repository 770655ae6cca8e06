"""The users page's tab counts for a power user, read from the counts the database keeps
(PostgreSQL) or counted (SQLite): their own organisation's people only, however many
another organisation gains, and another organisation's id reads as one that is missing."""

import pytest
from django.test import Client

from tests.scoping.conftest import MISSING
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def tabs(client, query=""):
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return {tab["label"]: tab["count"] for tab in response.context["status_tabs"]}


def own_counts(organisation) -> dict:
    people = User.objects.filter(organisation=organisation)
    counts = {
        label: str(people.filter(status=status).count())
        for label, status in (
            ("Active", UserStatus.ACTIVE),
            ("Inactive", UserStatus.INACTIVE),
            ("Deleted", UserStatus.DELETED),
        )
    }
    counts["All"] = str(people.count())
    return counts


def test_a_power_users_tabs_count_their_own_people_only(world):
    a, b = world
    client = Client()
    client.force_login(a.power)
    before = tabs(client)
    assert before == own_counts(a.organisation)

    trainer = User.objects.get(username="trainer")
    for n in range(3):
        services.user_create(
            username=f"bsecret{n}", organisation=b.organisation, by=trainer, reason="Test"
        )
    services.user_deactivate(b.person, by=trainer, reason="Test")

    assert tabs(client) == before
    assert tabs(client, f"?organisation={a.organisation.pk}") == before
    nobody = {"Active": "0", "Inactive": "0", "Deleted": "0", "All": "0"}
    assert tabs(client, f"?organisation={b.organisation.pk}") == nobody
    assert tabs(client, f"?organisation={MISSING}") == nobody
