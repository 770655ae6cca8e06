"""Importing segment memberships."""

import pytest

from users import services
from users.models import SegmentMembership

from .helpers import (
    MEMBERSHIPS,
    all_messages,
    confirm,
    counts,
    csv_bytes,
    import_file,
    world,
)

pytestmark = pytest.mark.django_db


# Segment memberships -----------------------------------------------------------------------


def test_memberships_add_and_remove_people(admin_user, make_user, organisation):
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="Test set-up"
    )
    joining = make_user(sis_user_id="M-1")
    staying = make_user()
    leaving = make_user()
    services.segment_add_members(
        segment,
        type(joining).objects.filter(pk__in=[staying.pk, leaving.pk]),
        by=admin_user,
        reason="Test set-up",
    )
    history = SegmentMembership.history.count()
    content = csv_bytes(
        MEMBERSHIPS,
        ["Night shift", "ACME", "M-1", "", "active"],
        ["night SHIFT", "acme", "", staying.username, ""],
        ["Night shift", "ACME", "", leaving.username, "deleted"],
    )

    job = import_file("memberships", content, by=admin_user, name="members.csv")
    assert counts(job) == {"new": 1, "unchanged": 1, "status": 1}
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    members = set(segment.members.values_list("username", flat=True))
    assert members == {joining.username, staying.username}
    added = SegmentMembership.history.filter(history_type="+", user_id=joining.pk).get()
    removed = SegmentMembership.history.filter(history_type="-", user_id=leaving.pk).get()
    for row in (added, removed):
        assert (row.history_user_id, row.history_change_reason) == (
            admin_user.pk,
            "Import members.csv",
        )
    assert SegmentMembership.history.count() == history + 2


def test_an_unknown_segment_is_a_row_error(admin_user, make_user):
    learner = make_user()
    before = world()
    job = import_file(
        "memberships",
        csv_bytes(MEMBERSHIPS, ["No such segment", "", "", learner.username, "active"]),
        by=admin_user,
    )
    assert counts(job) == {"error": 1}
    assert "No such segment" in all_messages(job)
    assert world() == before
