"""Enrolment edits through the services with the section kept (review finding 11), the
bulk-enrol Section list limited to the chosen course, and the enrolment method switched
from the course page (finding 10)."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import Course, Enrollment, EnrollmentState
from tests.conftest import PASSWORD
from users import services as user_services

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def cohort(course, admin_user):
    return services.section_create(course, name="Cohort B", by=admin_user, reason="t")


@pytest.fixture
def enrollment(make_user, course, admin_user):
    return services.enrollment_create(user=make_user(), course=course, by=admin_user, reason="t")


def change_url(enrollment):
    return reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])


# Finding 11 --------------------------------------------------------------------------------


def test_enrolment_state_changes_on_its_page_through_the_service(
    client, admin_user, enrollment, cohort
):
    sign_in(client, admin_user)
    form = client.get(change_url(enrollment)).context["adminform"].form
    assert set(form.fields) == {"enrolment_state", "started_at", "last_activity_at", "score"}
    response = client.post(
        change_url(enrollment),
        {
            "enrolment_state": "completed",
            "section": cohort.pk,  # not editable: ignored
            "started_at_0": "2025-03-01",
            "started_at_1": "09:00:00",
            "score": "87.5",
            "reason": "Passed the exam",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.COMPLETED
    assert enrollment.completed_at is not None  # set by enrollment_set_state
    assert enrollment.section.is_default  # the section stays
    assert float(enrollment.score) == 87.5 and enrollment.started_at is not None
    reasons = list(enrollment.history.values_list("history_change_reason", "history_user"))
    assert reasons[:2] == [("Passed the exam", admin_user.pk), ("Passed the exam", admin_user.pk)]


def test_the_section_of_an_existing_enrolment_is_read_only(client, admin_user, enrollment, cohort):
    sign_in(client, admin_user)
    response = client.get(change_url(enrollment))
    assert "section" not in response.context["adminform"].form.fields
    page = response.content.decode()
    assert "SAFE101 (default section)" in page
    client.post(change_url(enrollment), {"enrolment_state": "active", "section": cohort.pk})
    assert Enrollment.objects.get(pk=enrollment.pk).section_id != cohort.pk


def test_a_bad_score_gets_a_field_error_and_changes_nothing(client, admin_user, enrollment):
    sign_in(client, admin_user)
    response = client.post(change_url(enrollment), {"enrolment_state": "inactive", "score": "-3"})
    assert response.status_code == 200
    assert "A score cannot be negative." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.state == "active" and enrollment.score is None


def test_progress_can_be_cleared_through_the_service(admin_user, enrollment):
    services.enrollment_record_progress(enrollment, score=50, by=admin_user, reason="t")
    services.enrollment_record_progress(enrollment, clear=["score"], by=admin_user, reason="Wrong")
    enrollment.refresh_from_db()
    assert enrollment.score is None
    assert enrollment.history.first().history_change_reason == "Wrong"


def test_managers_cannot_edit_enrolments(client, manager, enrollment):
    sign_in(client, manager)
    response = client.post(change_url(enrollment), {"enrolment_state": "deleted"})
    assert response.status_code == 403
    assert Enrollment.objects.get(pk=enrollment.pk).state == "active"


# Finding 10: the bulk-enrol Section list -------------------------------------------------


def test_bulk_enrol_lists_only_the_chosen_courses_sections(
    client, admin_user, make_user, course, cohort
):
    other = services.course_create(code="OTHER1", name="Other", by=admin_user, reason="t")
    services.section_create(other, name="Other cohort", by=admin_user, reason="t")
    learner = make_user()
    sign_in(client, admin_user)
    data = {"action": "enrol_in_course", "index": "0", "_selected_action": [learner.pk]}
    response = client.post(CHANGELIST, data)
    sections = response.context["form"].fields["section"].queryset
    assert list(sections) == []  # nothing until a course is chosen
    sections_url = reverse("admin:enrollments_course_sections", args=[0])
    assert f'data-sections-url="{sections_url}"' in response.content.decode()

    # A section of another course is not a valid choice.
    wrong = other.sections.get(name="Other cohort")
    response = client.post(
        CHANGELIST,
        {**data, "confirm": "yes", "course": course.pk, "section": wrong.pk, "role": "Student"},
    )
    assert response.status_code == 200
    listed = {section.name for section in response.context["form"].fields["section"].queryset}
    assert listed == {"SAFE101 (default section)", "Cohort B"}
    assert not Enrollment.objects.filter(user=learner).exists()

    response = client.post(
        CHANGELIST,
        {
            **data,
            "confirm": "yes",
            "course": course.pk,
            "section": cohort.pk,
            "role": "StudentEnrollment",
            "inactive": "skip",
        },
    )
    assert response.status_code == 302
    assert Enrollment.objects.get(user=learner).section == cohort


def test_sections_of_a_course_as_json_are_scoped(client, power_user, admin_user, course, cohort):
    sign_in(client, admin_user)
    response = client.get(reverse("admin:enrollments_course_sections", args=[course.pk]))
    assert response.json() == {
        "sections": [
            {
                "id": course.sections.get(is_default=True).pk,
                "name": "SAFE101 (default section)",
                "is_default": True,
            },
            {"id": cohort.pk, "name": "Cohort B", "is_default": False},
        ]
    }
    sign_in(client, power_user)  # Acme's course is not theirs
    response = client.get(reverse("admin:enrollments_course_sections", args=[course.pk]))
    assert response.status_code == 404


# Finding 10: the enrolment method, from the course page ----------------------------------


def test_course_page_switches_to_everyone_after_showing_how_many(
    client, admin_user, make_user, course
):
    make_user()
    inactive = make_user()
    user_services.user_deactivate(inactive, by=admin_user, reason="Leave")
    # Someone already enrolled is neither counted nor enrolled again.
    already = make_user()
    services.enrollment_create(user=already, course=course, by=admin_user, reason="Earlier")
    sign_in(client, admin_user)
    page = client.get(reverse("admin:enrollments_course_change", args=[course.pk]))
    url = reverse("admin:enrollments_course_enrolment_method", args=[course.pk])
    assert f"{url}?method=everyone" in page.content.decode()

    confirm = client.get(url + "?method=everyone").content.decode()
    assert "3 people will be enrolled — 2 active, 1 inactive." in confirm
    assert Enrollment.objects.filter(course=course).count() == 1

    response = client.post(url, {"method": "everyone", "reason": "All staff"}, follow=True)
    assert "SAFE101 now uses “everyone” enrolment; 3 people enrolled." in (
        response.content.decode()
    )
    assert Course.objects.get(pk=course.pk).enrollment_method == "everyone"
    assert Course.objects.get(pk=course.pk).history.first().history_change_reason == "All staff"
    assert Enrollment.objects.filter(course=course).count() == 4
    assert Enrollment.objects.filter(course=course, user=already).count() == 1

    page = client.get(reverse("admin:enrollments_course_change", args=[course.pk]))
    assert f"{url}?method=manual" in page.content.decode()
    client.post(url, {"method": "manual"})
    assert Course.objects.get(pk=course.pk).enrollment_method == "manual"
    assert Enrollment.objects.filter(course=course).count() == 4  # switching back un-enrols nobody


def test_only_training_admins_switch_the_method(client, manager, course):
    sign_in(client, manager)
    url = reverse("admin:enrollments_course_enrolment_method", args=[course.pk])
    assert (
        url
        not in client.get(
            reverse("admin:enrollments_course_change", args=[course.pk])
        ).content.decode()
    )
    assert client.post(url, {"method": "everyone"}).status_code == 403
    assert Course.objects.get(pk=course.pk).enrollment_method == "manual"
