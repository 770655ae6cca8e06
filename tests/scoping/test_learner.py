"""Learner and seats routes for a power user of org A with org B's data beside it."""

import pytest
from django.urls import reverse

from enrollments import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_certificate(make_user, partner, admin_user):
    person = make_user(organisation=partner, first_name="Zorblatt")
    course = services.course_create(code="B1", name="Borealis", by=admin_user, reason="t")
    enrollment = services.enrollment_create(
        user=person, course=course, state="completed", by=admin_user, reason="t"
    )
    services.enrollment_start(enrollment, by=person)
    return services.certificate_issue(enrollment, by=admin_user, reason="t")


def test_another_organisations_certificate_file_answers_as_a_forged_code(
    client, power_user, b_certificate
):
    client.force_login(power_user)
    theirs = client.get(reverse("learner:certificate_pdf", args=[b_certificate.verification_code]))
    forged = client.get(reverse("learner:certificate_pdf", args=["ABCDEF0123456789"]))
    assert theirs.status_code == forged.status_code == 404
    assert theirs.content == forged.content


def test_seats_report_power_user_sees_only_their_own_organisation(
    client, power_user, partner, organisation, b_certificate
):
    client.force_login(power_user)
    own = client.get(reverse("reports:seats"), {"organisation": partner.pk})
    assert own.status_code == 200 and b"Zorblatt" in own.content
    other = client.get(reverse("reports:seats"), {"organisation": organisation.pk})
    assert b"Select a valid choice" in other.content
    export = client.get(
        reverse("reports:seats-export", kwargs={"fmt": "csv"}), {"organisation": partner.pk}
    )
    body = b"".join(export.streaming_content)
    assert b"Seat used" in body and b"Zorblatt" in body


def test_verification_page_is_public(client, b_certificate):
    page = client.get(reverse("certificate_verify", args=[b_certificate.verification_code]))
    assert page.status_code == 200 and b"Borealis" in page.content
    assert PASSWORD.encode() not in page.content
