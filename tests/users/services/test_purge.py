"""organisation_purge: the organisation's people and everything about them go, history
included; a receipt with counts only; refused for a training admin's organisation."""

import pytest

from enrollments import services as enrollment_services
from enrollments.models import Certificate, Enrollment
from lms_admin.plumbing.errors import DomainError, NotPermitted
from reports.models import ExportRecord, SignInEvent
from tests.users.services.conftest import leftovers, whole_database_text
from users import services
from users.models import ErasureReceipt, Segment, SegmentMembership, User, UserSession


@pytest.fixture
def partner_people(partner, admin_user, course):
    people = []
    for n in range(3):
        person = services.user_create(
            username=f"zelda.quist{n}" if n else "zelda.quist",
            email="Zelda.Quist@Mailbox.example" if not n else f"z{n}@partner.example",
            first_name="Zelda",
            last_name="Quistgaard",
            sis_user_id="SIS-ZQ-90817" if not n else None,
            organisation=partner,
            by=admin_user,
            reason="Set-up of zelda.quist",
        )
        enrollment = enrollment_services.enrollment_create(
            user=person, course=course, by=admin_user, reason="Set-up"
        )
        enrollment_services.enrollment_set_state(
            enrollment, "completed", by=admin_user, reason="Set-up"
        )
        enrollment_services.certificate_issue(enrollment, by=admin_user, reason="Set-up")
        SignInEvent.objects.create(user=person)
        people.append(person)
    segment = services.segment_create(name="Partner cohort", by=admin_user, reason="Set-up")
    services.segment_add_members(
        segment, User.objects.filter(organisation=partner), by=admin_user, reason="Set-up"
    )
    UserSession.objects.create(
        session_key="p" * 32, session_data="x", expire_date="2099-01-01T00:00Z", user=people[0]
    )
    ExportRecord.objects.create(
        user=people[0], username="zelda.quist", report="archived", format="csv", file_name="a.csv"
    )
    return people


def test_purging_removes_the_people_and_their_history_and_leaves_others(
    admin_user, partner, partner_people, make_user
):
    other = make_user()
    receipt = services.organisation_purge(partner, by=admin_user, reason="Contract ended")

    assert not User.objects.filter(organisation=partner).exists()
    assert not User.history.filter(organisation_id=partner.pk).exists()
    assert not Enrollment.objects.filter(user_id__in=[p.pk for p in partner_people]).exists()
    assert not Enrollment.history.filter(user_id__in=[p.pk for p in partner_people]).exists()
    assert not Certificate.history.exists()
    assert not SegmentMembership.objects.exists()
    assert Segment.objects.filter(name="Partner cohort").exists()
    assert not SignInEvent.objects.filter(user_id__in=[p.pk for p in partner_people]).exists()
    record = ExportRecord.objects.get()
    assert record.user_id is None and record.username == ""
    assert User.objects.filter(pk=other.pk).exists()
    assert receipt.people == 3 and receipt.pseudonym == ""
    assert {item["table"] for item in receipt.touched} >= {
        "users_user",
        "users_historicaluser",
        "enrollments_enrollment",
        "enrollments_historicalcertificate",
    }


def test_after_a_purge_the_database_holds_none_of_the_purged_identifiers(
    admin_user, partner, partner_people
):
    assert leftovers(whole_database_text())
    services.organisation_purge(partner, by=admin_user, reason="Contract ended")
    assert leftovers(whole_database_text()) == []


def test_the_purge_receipt_keeps_counts_only(admin_user, partner, partner_people):
    receipt = services.organisation_purge(partner, by=admin_user, reason="Contract ended")
    stored = ErasureReceipt.objects.get(pk=receipt.pk)
    assert leftovers(repr([stored.touched, stored.kept, stored.reason])) == []
    assert all(isinstance(item["rows"], int) for item in stored.touched)


def test_purging_the_organisation_a_training_admin_belongs_to_is_refused(
    admin_user, organisation, make_user
):
    learner = make_user()
    with pytest.raises(DomainError, match="training admins belong to it"):
        services.organisation_purge(organisation, by=admin_user, reason="Oops")
    assert User.objects.filter(pk=learner.pk).exists()
    assert not ErasureReceipt.objects.exists()


def test_a_power_user_cannot_purge(power_user, partner, partner_people):
    with pytest.raises(NotPermitted):
        services.organisation_purge(partner, by=power_user, reason="Mine")
    assert User.objects.filter(organisation=partner).count() == 4
