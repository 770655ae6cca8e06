"""The "to be deleted" mark on enrolments: marking deletes nothing, deleting takes it off."""

import pytest

from enrollments import services
from enrollments.models import Enrollment

pytestmark = pytest.mark.django_db


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def test_marking_enrolments_deletes_nothing_and_deleting_one_takes_the_mark_off(
    admin_user, course, make_user
):
    rows = [
        services.enrollment_create(user=make_user(), course=course, by=admin_user, reason="t")
        for _ in range(3)
    ]
    services.enrollment_set_state(rows[2], "deleted", by=admin_user, reason="t")
    chosen = Enrollment.objects.filter(pk__in=[row.pk for row in rows])
    marked = services.enrollments_mark_for_deletion(chosen, by=admin_user, reason="Review")
    # The deleted one is passed over; marking again changes nothing.
    assert sorted(marked) == sorted([rows[0].pk, rows[1].pk])
    assert services.enrollments_mark_for_deletion(chosen, by=admin_user, reason="Again") == []
    assert set(chosen.values_list("state", flat=True)) == {"active", "deleted"}
    record = latest(Enrollment, rows[0].pk)
    assert record.marked_for_deletion_at is not None
    assert (record.history_user, record.history_change_reason) == (admin_user, "Review")

    services.enrollment_set_state(rows[0], "deleted", by=admin_user, reason="Gone")
    services.enrollments_set_state(
        Enrollment.objects.filter(pk=rows[1].pk), "deleted", by=admin_user, reason="Gone"
    )
    assert not Enrollment.objects.filter(marked_for_deletion_at__isnull=False).exists()


def test_taking_the_mark_off(admin_user, course, make_user):
    row = services.enrollment_create(user=make_user(), course=course, by=admin_user, reason="t")
    one = Enrollment.objects.filter(pk=row.pk)
    services.enrollments_mark_for_deletion(one, by=admin_user, reason="Review")
    assert services.enrollments_clear_deletion_mark(one, by=admin_user, reason="Stays") == [row.pk]
    assert one.get().marked_for_deletion_at is None
    assert latest(Enrollment, row.pk).history_change_reason == "Stays"
