"""user_anonymise: every copy of a person's identifiers becomes the pseudonym; a receipt."""

import pytest
from django.contrib.auth.models import Group

from enrollments.models import Certificate, Enrollment
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import TRAINING_ADMIN
from reports.models import SignInEvent
from tests.users.services.conftest import FORMER, leftovers, whole_database_text
from users import services
from users.models import AccessToken, ErasureReceipt, User, UserSession, UserStatus


def test_a_whole_database_dump_holds_none_of_the_erased_persons_identifiers(
    admin_user, person_everywhere
):
    assert leftovers(whole_database_text()), "the fixture must put the identifiers somewhere"

    services.user_anonymise(person_everywhere, by=admin_user, reason="Erasure request 12")

    assert leftovers(whole_database_text()) == []


def test_the_live_row_and_every_history_row_carry_the_stable_pseudonym(
    admin_user, person_everywhere
):
    receipt = services.user_anonymise(person_everywhere, by=admin_user, reason="Request")

    person = User.objects.get(pk=person_everywhere.pk)
    label = services.pseudonym_label(person.pk)
    assert receipt.pseudonym == label == person.get_full_name()
    assert person.anonymised_at is not None and person.email == "" and person.sis_user_id is None
    assert not person.has_usable_password() and person.status == UserStatus.INACTIVE
    names = set(User.history.filter(id=person.pk).values_list("username", "last_name"))
    assert names == {(person.username, person.last_name)}
    latest = User.history.filter(id=person.pk).first()
    assert latest.history_change_reason == services.ERASED_REASON
    assert latest.history_user_id == admin_user.pk


def test_enrolments_scores_and_certificates_stay_and_sessions_and_tokens_end(
    admin_user, person_everywhere
):
    services.user_anonymise(person_everywhere, by=admin_user, reason="Request")

    enrollment = Enrollment.objects.get(user=person_everywhere)
    assert enrollment.state == "completed"
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert str(certificate.enrollment.user) == f"former-learner-{person_everywhere.pk:x}"
    assert SignInEvent.objects.filter(user=person_everywhere).exists()
    assert not UserSession.objects.filter(user=person_everywhere).exists()
    assert not AccessToken.objects.filter(user=person_everywhere).exists()


def test_the_receipt_lists_tables_and_rows_and_holds_no_personal_data(
    admin_user, person_everywhere
):
    receipt = services.user_anonymise(
        person_everywhere, by=admin_user, reason=f"Email from {FORMER['email']}"
    )

    stored = ErasureReceipt.objects.get(pk=receipt.pk)
    tables = {item["table"]: item for item in stored.touched}
    assert tables["users_user"]["rows"] == 1
    rewritten = [item for item in stored.touched if item["table"] == "users_historicaluser"]
    assert {
        "rows": 2,
        "fields": ["username", "email", "first_name", "last_name", "sis_user_id"],
    }.items() <= rewritten[0].items()
    assert any(item["fields"] == ["history_change_reason"] for item in rewritten)
    for table in (
        "users_usersession",
        "users_accesstoken",
        "axes_accessattempt",
        "imports_importrow",
        "imports_importjob",
        "reports_exportrecord",
        "django_tasks_database_dbtaskresult",
        "django_admin_log",
        "users_segment",
    ):
        assert table in tables, table
    kept = {item["what"]: item for item in stored.kept}
    assert kept["enrolments"]["rows"] == 1 and kept["certificates"]["rows"] == 1
    assert stored.reason == f"Email from {receipt.pseudonym}"
    assert leftovers(repr([stored.touched, stored.kept, stored.reason, stored.pseudonym])) == []


def test_an_already_anonymised_person_is_refused_and_nothing_changes(admin_user, make_user):
    person = make_user()
    services.user_anonymise(person, by=admin_user, reason="Request")
    rows = User.history.filter(id=person.pk).count()

    with pytest.raises(DomainError, match="already erased"):
        services.user_anonymise(person, by=admin_user, reason="Again")

    assert User.history.filter(id=person.pk).count() == rows
    assert ErasureReceipt.objects.count() == 1


def test_the_last_training_admin_cannot_be_erased(admin_user, make_user):
    other = make_user(is_staff=True)
    with pytest.raises(DomainError, match="last active training admin"):
        services.user_anonymise(admin_user, by=other, reason="Request")
    admin_user.refresh_from_db()
    assert admin_user.anonymised_at is None and admin_user.username == "admin"


def test_a_training_admin_can_be_erased_when_another_remains(admin_user, make_user):
    second = make_user(is_staff=True)
    second.groups.add(Group.objects.get(name=TRAINING_ADMIN))
    services.user_anonymise(second, by=admin_user, reason="Request")
    assert User.objects.get(pk=second.pk).anonymised_at is not None


def test_a_power_user_cannot_erase_someone_outside_their_organisation(power_user, make_user):
    person = make_user()
    with pytest.raises(NotPermitted):
        services.user_anonymise(person, by=power_user, reason="Request")
    person.refresh_from_db()
    assert person.anonymised_at is None and person.username.startswith("learner")


def test_a_power_user_can_erase_their_own_organisations_learner(power_user, partner, make_user):
    person = make_user(organisation=partner)
    receipt = services.user_anonymise(person, by=power_user, reason="Request")
    assert receipt.organisation_id == partner.pk


def test_an_anonymised_person_cannot_be_changed_afterwards(admin_user, make_user):
    person = make_user()
    services.user_anonymise(person, by=admin_user, reason="Request")
    with pytest.raises(DomainError, match="anonymised"):
        services.user_reactivate(User.objects.get(pk=person.pk), by=admin_user, reason="Back")


def test_a_short_username_does_not_rewrite_unrelated_text(admin_user, make_user, course):
    person = make_user(username="al", first_name="Al", last_name="Bo")
    services.user_anonymise(person, by=admin_user, reason="Request")
    course.refresh_from_db()
    assert course.name == "Safety basics"


def test_erasure_reaches_sign_in_events_extra_sign_in_names_and_the_kept_password(
    admin_user, make_user
):
    from users.models import AuthenticationEvent, SignInName

    person = make_user(username="kept.names", email="kept.names@example.com")
    services.user_deactivate(person, by=admin_user, reason="Left")
    person.refresh_from_db()
    AuthenticationEvent.objects.create(
        user=person, event_type="login", address="203.0.113.7", user_agent="Firefox"
    )
    SignInName.objects.create(user=person, name="kept.names.old")
    services.user_anonymise(person, by=admin_user, reason="Erasure request")
    person.refresh_from_db()
    assert not AuthenticationEvent.objects.filter(user=person).exists()
    assert not SignInName.objects.filter(user=person).exists()
    assert not SignInName.history.filter(user_id=person.pk).exists()
    assert person.password_while_inactive == ""
