"""The learner's pages: My learning, certificates and their PDF, the public check, and that
an inactive person's pages answer as signed out."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import EnrollmentState
from tests.conftest import PASSWORD
from users import services as user_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(make_user):
    return make_user(first_name="Lee", last_name="Learner")


@pytest.fixture
def done(learner, course, admin_user):
    enrollment = services.enrollment_create(
        user=learner, course=course, state=EnrollmentState.COMPLETED, by=admin_user, reason="t"
    )
    services.enrollment_record_progress(enrollment, score=87, by=admin_user, reason="t")
    return services.certificate_issue(enrollment, by=admin_user, reason="Passed")


def test_my_learning_shows_current_completed_and_invited_without_admin_chrome(
    client, learner, enrolled_in_every_state
):
    enrolled_in_every_state(learner)
    client.force_login(learner)
    page = client.get(reverse("learner:home")).content.decode()
    assert "Course active" in page and "Course completed" in page and "Course invited" in page
    assert "Course deleted" not in page and "Course inactive" not in page
    assert "Accept" in page and "Start" in page
    assert "Learner lifecycle admin" not in page and "breadcrumbs" not in page
    assert "learner/learner.css" in page


def test_my_learning_takes_a_fixed_number_of_queries(
    client, learner, course, admin_user, django_assert_max_num_queries
):
    client.force_login(learner)
    client.get(reverse("learner:home"))  # warm up the session and user look-ups
    for n in range(30):
        other = services.course_create(code=f"Q{n}", name=f"Q {n}", by=admin_user, reason="t")
        enrollment = services.enrollment_create(
            user=learner, course=other, state="completed", by=admin_user, reason="t"
        )
        services.certificate_issue(enrollment, by=admin_user, reason="t")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("learner:home"))
    assert response.content.decode().count("Certificate (PDF)") == 30


def test_starting_a_course_uses_a_seat_and_says_so(client, learner, course, admin_user):
    enrollment = services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    client.force_login(learner)
    response = client.post(reverse("learner:start", args=[enrollment.pk]), follow=True)
    assert "You started Safety basics." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.started_at is not None


def test_a_refused_start_names_the_contact(client, learner, course, admin_user, organisation):
    organisation.seat_limit = 0
    organisation.contact = "Jo Smith on 0123"
    organisation.save()
    enrollment = services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    client.force_login(learner)
    page = client.post(reverse("learner:start", args=[enrollment.pk]), follow=True)
    assert "Please contact Jo Smith on 0123." in page.content.decode()


def test_another_persons_enrolment_cannot_be_started(client, make_user, course, admin_user):
    other = make_user()
    theirs = services.enrollment_create(user=other, course=course, by=admin_user, reason="t")
    client.force_login(make_user())
    assert client.post(reverse("learner:start", args=[theirs.pk])).status_code == 404


def test_certificates_list_and_pdf(client, learner, done):
    client.force_login(learner)
    page = client.get(reverse("learner:certificates")).content.decode()
    assert done.verification_code in page
    response = client.get(reverse("learner:certificate_pdf", args=[done.verification_code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # reportlab keeps the text of the page in its content stream (compressed): the metadata
    # carries the same facts in the clear.
    assert (
        b"Lee Learner" in response.content and done.verification_code.encode() in response.content
    )
    assert b"Safety basics" in response.content


def test_another_persons_certificate_file_and_a_forged_code_both_answer_404(
    client, make_user, done
):
    client.force_login(make_user())
    theirs = client.get(reverse("learner:certificate_pdf", args=[done.verification_code]))
    forged = client.get(reverse("learner:certificate_pdf", args=["0000FORGED000000"]))
    assert theirs.status_code == forged.status_code == 404


def test_verification_page_shows_name_course_date_and_validity_only(client, done, admin_user):
    page = client.get(reverse("certificate_verify", args=[done.verification_code]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "This certificate is valid." in text
    assert "Lee Learner" in text and "Safety basics" in text
    assert done.enrollment.user.email not in text and done.enrollment.user.username not in text
    assert client.get(reverse("certificate_verify", args=["FORGED123"])).status_code == 404
    services.enrollment_set_state(done.enrollment, "deleted", by=admin_user, reason="Cheated")
    text = client.get(reverse("certificate_verify", args=[done.verification_code])).content
    assert b"This certificate has been revoked." in text


def test_an_inactive_persons_pages_and_files_answer_as_signed_out(
    client, learner, done, admin_user
):
    assert client.login(username=learner.username, password=PASSWORD)
    urls = [
        reverse("learner:home"),
        reverse("learner:certificates"),
        reverse("learner:certificate_pdf", args=[done.verification_code]),
    ]
    assert all(client.get(url).status_code == 200 for url in urls)
    user_services.user_deactivate(learner, by=admin_user, reason="Left")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_after_reactivation_every_course_is_there_including_everyone_courses(
    client, learner, course, admin_user, organisation
):
    from enrollments.models import EnrollmentMethod

    services.enrollment_create(user=learner, course=course, by=admin_user, reason="t")
    user_services.user_deactivate(learner, by=admin_user, reason="Left")
    everyone = services.course_create(
        code="ALL", name="For everyone", organisation=organisation, by=admin_user, reason="t"
    )
    services.course_set_enrollment_method(
        everyone, EnrollmentMethod.EVERYONE, by=admin_user, reason="t"
    )
    user_services.user_reactivate(learner, by=admin_user, reason="Back")
    client.force_login(learner)
    page = client.get(reverse("learner:home")).content.decode()
    assert "Safety basics" in page and "For everyone" in page
