import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import Course, Enrollment, EnrollmentState, Section
from tests.conftest import PASSWORD
from users import services as user_services

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_switching_to_everyone_shows_how_many_first(client, admin_user, make_user, course):
    make_user()
    inactive = make_user()
    user_services.user_deactivate(inactive, by=admin_user, reason="Leave")
    # Someone already enrolled is neither counted nor enrolled again.
    already = make_user()
    services.enrollment_create(user=already, course=course, by=admin_user, reason="Earlier")
    sign_in(client, admin_user)
    url = reverse("admin:enrollments_course_changelist")
    data = {"action": "enrol_everyone", "index": "0", "_selected_action": [course.pk]}
    page = client.post(url, data).content.decode()
    assert "3 people will be enrolled — 2 active, 1 inactive." in page
    assert Enrollment.objects.filter(course=course).count() == 1
    response = client.post(url, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert Enrollment.objects.filter(course=course).count() == 4
    assert Enrollment.objects.filter(course=course, user=already).count() == 1
    assert Course.objects.get(pk=course.pk).enrollment_method == "everyone"


def test_roster_filters_by_several_states_and_changes_state_in_place(
    client, admin_user, make_user, course
):
    cohort = services.section_create(course, name="Cohort B", by=admin_user, reason="t")
    people = [make_user() for _ in range(3)]
    rows = [
        services.enrollment_create(
            user=person, course=course, section=cohort, by=admin_user, reason="t"
        )
        for person in people
    ]
    services.enrollment_set_state(rows[1], "inactive", by=admin_user, reason="t")
    services.enrollment_set_state(rows[2], "completed", by=admin_user, reason="t")
    sign_in(client, admin_user)
    change = reverse("admin:enrollments_course_change", args=[course.pk])

    page = client.get(change + "?state=inactive&state=completed")
    shown = {row.pk for row in page.context["roster_page"]}
    assert shown == {rows[1].pk, rows[2].pk}

    response = client.post(
        reverse("admin:enrollments_course_roster_state", args=[course.pk, rows[1].pk]),
        {"state": "active"},
    )
    assert response.status_code == 302
    rows[1].refresh_from_db()
    assert rows[1].state == EnrollmentState.ACTIVE
    assert rows[1].section == cohort
    assert rows[1].history.first().history_change_reason == "State changed on the roster"


def test_roster_state_change_needs_permission(client, manager, admin_user, make_user, course):
    enrollment = services.enrollment_create(
        user=make_user(), course=course, by=admin_user, reason="t"
    )
    sign_in(client, manager)
    response = client.post(
        reverse("admin:enrollments_course_roster_state", args=[course.pk, enrollment.pk]),
        {"state": "inactive"},
    )
    assert response.status_code == 403
    assert Enrollment.objects.get(pk=enrollment.pk).state == "active"


def test_course_created_in_the_admin_gets_a_default_section(client, admin_user):
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:enrollments_course_add"),
        {
            "code": "NEW1",
            "name": "New course",
            "credit_cost": "0",
            "sections-TOTAL_FORMS": "0",
            "sections-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    course = Course.objects.get(code="NEW1")
    assert Section.objects.filter(course=course, is_default=True).count() == 1
    assert course.history.first().history_user == admin_user
