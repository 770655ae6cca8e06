"""Reviewing enrolments marked "to be deleted" on the enrolments list: find them, keep them
(take the mark off) or delete them."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import Enrollment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_marked_enrolments_are_found_and_kept_or_deleted(client, admin_user, course, make_user):
    rows = [
        services.enrollment_create(user=make_user(), course=course, by=admin_user, reason="t")
        for _ in range(3)
    ]
    services.enrollments_mark_for_deletion(
        Enrollment.objects.filter(pk__in=[rows[0].pk, rows[1].pk]), by=admin_user, reason="t"
    )
    signed_in(client, admin_user)
    url = reverse("admin:enrollments_enrollment_changelist")
    page = client.get(url, {"to_be_deleted": "yes"})
    assert {row.pk for row in page.context["cl"].result_list} == {rows[0].pk, rows[1].pk}
    client.post(url, {"action": "clear_deletion_mark", "_selected_action": [rows[0].pk]})
    client.post(url, {"action": "set_deleted", "_selected_action": [rows[1].pk]})
    assert not Enrollment.objects.filter(marked_for_deletion_at__isnull=False).exists()
    assert Enrollment.objects.get(pk=rows[0].pk).state == "active"
    assert Enrollment.objects.get(pk=rows[1].pk).state == "deleted"
    record = rows[0].history.order_by("-history_id").first()
    assert record.history_change_reason == "“To be deleted” mark taken off in the admin"
