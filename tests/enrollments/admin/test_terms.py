"""The terms page and the courses list's term filter."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import EnrollmentTerm
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_term_is_created_and_edited_through_the_services(client, admin_user, organisation):
    signed_in(client, admin_user)
    add = reverse("admin:enrollments_enrollmentterm_add")
    data = {
        "name": "Fall 2025",
        "sis_term_id": "FALL25",
        "organisation": organisation.pk,
        "start_at_0": "2025-09-01",
        "start_at_1": "00:00:00",
        "end_at_0": "2025-12-20",
        "end_at_1": "00:00:00",
    }
    assert client.post(add, data).status_code == 302
    term = EnrollmentTerm.objects.get(sis_term_id="FALL25")
    record = term.history.get()
    assert (record.history_user, record.history_change_reason) == (
        admin_user,
        "Created in the admin",
    )
    change = reverse("admin:enrollments_enrollmentterm_change", args=[term.pk])
    response = client.post(change, {**data, "name": "Autumn 2025", "reason": "Renamed"})
    assert response.status_code == 302
    record = term.history.order_by("-history_id").first()
    assert (record.name, record.history_change_reason) == ("Autumn 2025", "Renamed")
    # The rules' refusal is shown plainly and changes nothing.
    response = client.post(add, {**data, "name": "Twice"}, follow=True)
    assert "Another term of this organisation has this SIS term ID" in response.content.decode()
    assert EnrollmentTerm.objects.count() == 1


def test_courses_filter_by_term(client, admin_user, course, organisation):
    fall = services.term_create(name="Fall", organisation=organisation, by=admin_user, reason="t")
    other = services.course_create(code="OTHER", name="Other", by=admin_user, reason="t")
    services.course_update(course, term=fall, by=admin_user, reason="t")
    signed_in(client, admin_user)
    url = reverse("admin:enrollments_course_changelist")
    shown = {
        row.pk for row in client.get(url, {"term__id__exact": fall.pk}).context["cl"].result_list
    }
    assert shown == {course.pk}
    assert other.pk not in shown
