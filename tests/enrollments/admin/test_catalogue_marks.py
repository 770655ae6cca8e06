"""Reviewing courses and sections marked "to be deleted" (by an SIS import's batch mode for
a term) on their lists: filter them, see when they were marked, take the mark off."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import Course, Section
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def courses(admin_user, organisation):
    made = [
        services.course_create(
            code=f"C{n}", name=f"Course {n}", organisation=organisation, by=admin_user, reason="t"
        )
        for n in range(3)
    ]
    services.courses_mark_for_deletion(
        Course.objects.filter(pk__in=[made[0].pk, made[1].pk]), by=admin_user, reason="t"
    )
    return made


def test_marked_courses_are_found_shown_and_kept(client, admin_user, courses):
    signed_in(client, admin_user)
    url = reverse("admin:enrollments_course_changelist")
    page = client.get(url, {"to_be_deleted": "yes"})
    assert {row.pk for row in page.context["cl"].result_list} == {courses[0].pk, courses[1].pk}
    assert "Since " in page.content.decode()
    unmarked = client.get(url, {"to_be_deleted": "no"}).context["cl"].result_list
    assert [row.pk for row in unmarked] == [courses[2].pk]
    change = client.get(reverse("admin:enrollments_course_change", args=[courses[0].pk]))
    assert "Marked for deletion at" in change.content.decode()
    response = client.post(
        url, {"action": "clear_deletion_mark", "_selected_action": [courses[0].pk]}, follow=True
    )
    assert "The mark was taken off 1 courses." in response.content.decode()
    assert set(Course.objects.filter(marked_for_deletion_at__isnull=False)) == {courses[1]}
    record = courses[0].history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (
        admin_user,
        "“To be deleted” mark taken off in the admin",
    )


def test_marked_sections_are_found_and_kept(client, admin_user, courses):
    sections = [
        services.section_create(courses[2], name=f"S{n}", by=admin_user, reason="t")
        for n in range(2)
    ]
    services.sections_mark_for_deletion(
        Section.objects.filter(pk=sections[0].pk), by=admin_user, reason="t"
    )
    signed_in(client, admin_user)
    url = reverse("admin:enrollments_section_changelist")
    page = client.get(url, {"to_be_deleted": "yes"})
    assert [row.pk for row in page.context["cl"].result_list] == [sections[0].pk]
    client.post(url, {"action": "clear_deletion_mark", "_selected_action": [sections[0].pk]})
    assert not Section.objects.filter(marked_for_deletion_at__isnull=False).exists()


def test_managers_and_power_users_see_the_mark_but_cannot_take_it_off(
    client, manager, power_user, courses
):
    for person in (manager, power_user):
        signed_in(client, person)
        url = reverse("admin:enrollments_course_changelist")
        page = client.get(url, {"to_be_deleted": "yes"})
        assert page.status_code == 200
        response = client.post(
            url, {"action": "clear_deletion_mark", "_selected_action": [courses[0].pk]}
        )
        assert response.status_code == 403
        client.logout()
    assert Course.objects.filter(marked_for_deletion_at__isnull=False).count() == 2


def test_the_add_pages_show_no_deletion_mark(client, admin_user):
    """Only an import's batch mode sets the mark: a new course or section has none to show."""
    signed_in(client, admin_user)
    for name in ("admin:enrollments_course_add", "admin:enrollments_section_add"):
        page = client.get(reverse(name)).content.decode()
        assert "Marked for deletion at" not in page, name
