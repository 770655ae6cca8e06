"""Importing people: Canvas users.csv and our own format, status words, lifecycle, history."""

import pytest
from django.core import mail

from enrollments.models import Enrollment
from imports.models import StatusWord
from users import services
from users.models import User, UserSession, UserStatus

from .helpers import (
    OWN_USERS as OWN,
)
from .helpers import (
    USERS_CANVAS,
    all_messages,
    assert_import_history,
    confirm,
    counts,
    csv_bytes,
    history_of,
    import_and_apply,
    import_file,
    rows_of,
    states_of,
    world,
)

pytestmark = pytest.mark.django_db

# Creating people ------------------------------------------------------------------------


def test_canvas_users_csv_creates_people_with_one_history_row_each(admin_user, organisation):
    content = csv_bytes(
        USERS_CANVAS,
        ["SIS-1", "jdoe", "Jane", "Doe", "jane@example.com", "active"],
        ["SIS-2", "rroe", "Rick", "Roe", "rick@example.com", "Long Term Leave"],
    )

    job = import_file("users", content, by=admin_user, organisation=organisation)
    assert job.state == "checked"
    assert job.layout == "Canvas SIS users.csv"
    assert counts(job) == {"new": 2}
    assert not User.objects.filter(username__in=["jdoe", "rroe"]).exists()

    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    jane = User.objects.get(username="jdoe")
    rick = User.objects.get(username="rroe")
    assert (jane.sis_user_id, jane.first_name, jane.last_name, jane.email) == (
        "SIS-1",
        "Jane",
        "Doe",
        "jane@example.com",
    )
    assert jane.organisation == organisation and rick.organisation == organisation
    assert jane.status == UserStatus.ACTIVE
    assert rick.status == UserStatus.INACTIVE
    for person in (jane, rick):
        history = history_of(person)
        assert len(history) == 1
        assert_import_history(history[0], by=admin_user, kind="+")
        assert history[0].status == person.status
    assert job.applied["created"] == 2


def test_our_own_format_creates_and_updates(admin_user, organisation, partner, make_user):
    existing = make_user(sis_user_id="OWN-1")
    content = csv_bytes(
        [*OWN, "to_be_deleted"],
        [existing.username, "OWN-1", "Renamed", existing.last_name, existing.email, "ACME"]
        + ["active", "no"],
        ["newperson", "OWN-2", "New", "Person", "new@example.com", "PART", "inactive", "no"],
    )

    job = import_file("users", content, by=admin_user)
    assert job.layout.startswith("people")
    assert counts(job) == {"new": 1, "updated": 1}
    updated = rows_of(job)[min(rows_of(job))]
    assert ["first_name", "Lee", "Renamed"] in updated.changes
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    existing.refresh_from_db()
    assert existing.first_name == "Renamed"
    new = User.objects.get(username="newperson")
    assert new.organisation == partner
    assert new.status == UserStatus.INACTIVE
    assert new.sis_user_id == "OWN-2"


def test_new_people_without_an_organisation_column_go_to_the_chosen_organisation(
    admin_user, partner
):
    content = csv_bytes(USERS_CANVAS, ["P-1", "pat", "Pat", "Doe", "pat@example.com", "active"])
    import_and_apply("users", content, by=admin_user, organisation=partner)
    assert User.objects.get(username="pat").organisation == partner


# Status words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "inactive",
        "Inactive",
        "suspended",
        "SUSPENDED",
        "Long Term Leave",
        "long term leave",
        "  LONG-TERM   leave ",
        "longtermleave",
        "Leave",
        "leave",
        "Archived",
        "ARCHIVED",
    ],
)
def test_status_words_that_mean_inactive(word, admin_user, make_user):
    learner = make_user(sis_user_id="W-1")
    content = csv_bytes(
        USERS_CANVAS,
        ["W-1", learner.username, learner.first_name, learner.last_name, learner.email, word],
    )

    job = import_and_apply("users", content, by=admin_user)

    assert job.state == "done", job.failure
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE


@pytest.mark.parametrize("word", ["active", "Active", " ACTIVE "])
def test_status_words_that_mean_active(word, admin_user, make_user):
    learner = make_user(sis_user_id="W-2")
    services.user_deactivate(learner, by=admin_user, reason="Test set-up")
    content = csv_bytes(
        USERS_CANVAS,
        ["W-2", learner.username, learner.first_name, learner.last_name, learner.email, word],
    )

    import_and_apply("users", content, by=admin_user)

    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE


def test_a_status_word_added_by_an_admin_is_understood(admin_user, make_user):
    StatusWord.objects.create(word="On Sabbatical", applies_to="users", means="inactive")
    StatusWord.objects.create(word="Returned", applies_to="users", means="active")
    leaving = make_user(sis_user_id="S-1")
    returning = make_user(sis_user_id="S-2")
    services.user_deactivate(returning, by=admin_user, reason="Test set-up")
    content = csv_bytes(
        USERS_CANVAS,
        ["S-1", leaving.username, "", "", "", "on  sabbatical"],
        ["S-2", returning.username, "", "", "", "RETURNED"],
    )

    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"status": 2}
    confirm(job, by=admin_user)

    leaving.refresh_from_db()
    returning.refresh_from_db()
    assert leaving.status == UserStatus.INACTIVE
    assert returning.status == UserStatus.ACTIVE


def test_default_words_are_configurable(admin_user, make_user):
    """ "Leave" is a configured word, not a built-in one: without it, it is an error."""
    StatusWord.objects.filter(normalised="leave", applies_to="users").delete()
    learner = make_user(sis_user_id="S-3")
    before = world()
    content = csv_bytes(USERS_CANVAS, ["S-3", learner.username, "", "", "", "Leave"])

    job = import_file("users", content, by=admin_user)

    assert counts(job) == {"error": 1}
    assert "Leave" in all_messages(job)
    assert world() == before


# Status changes go through the lifecycle services -----------------------------------------


def test_deactivation_ends_sessions_keeps_enrolments_and_writes_history(
    client, admin_user, make_user, enrolled_in_every_state
):
    learner = make_user(sis_user_id="L-1")
    enrolled_in_every_state(learner)
    client.force_login(learner)
    assert UserSession.objects.filter(user=learner).count() == 1
    states = states_of(learner)
    enrolment_history = Enrollment.history.count()
    user_history = len(history_of(learner))
    content = csv_bytes(
        USERS_CANVAS,
        ["L-1", learner.username, learner.first_name, learner.last_name, learner.email, "Leave"],
    )

    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"status": 1}
    assert ["status", "active", "inactive"] in rows_of(job)[min(rows_of(job))].changes
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert UserSession.objects.filter(user=learner).count() == 0
    assert states_of(learner) == states
    assert Enrollment.history.count() == enrolment_history
    history = history_of(learner)
    assert len(history) == user_history + 1
    assert_import_history(history[-1], by=admin_user)
    assert history[-1].status == UserStatus.INACTIVE
    assert job.applied["deactivated"] == 1


def test_reactivating_someone_without_email_hands_out_a_temporary_password(
    admin_user, make_user, enrolled_in_every_state
):
    learner = make_user(email="", sis_user_id="R-1")
    enrolled_in_every_state(learner)
    services.user_deactivate(learner, by=admin_user, reason="Test set-up")
    states = states_of(learner)
    content = csv_bytes(USERS_CANVAS, ["R-1", learner.username, "", "", "", "active"])

    job = import_and_apply("users", content, by=admin_user)

    assert job.state == "done", job.failure
    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    assert learner.must_change_password
    assert states_of(learner) == states
    assert [c["username"] for c in job.credentials] == [learner.username]
    password = job.credentials[0]["temporary_password"]
    assert password and learner.check_password(password)
    assert job.applied["reactivated"] == 1


def test_reactivating_someone_with_email_mails_a_reset_link(admin_user, make_user):
    learner = make_user(sis_user_id="R-2")
    services.user_deactivate(learner, by=admin_user, reason="Test set-up")
    mail.outbox.clear()
    content = csv_bytes(USERS_CANVAS, ["R-2", learner.username, "", "", "", "Active"])

    job = import_and_apply("users", content, by=admin_user)

    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    assert job.credentials == []
    assert [message.to for message in mail.outbox] == [[learner.email]]


def test_deleted_in_a_file_never_deletes_but_marks_for_deletion(
    admin_user, make_user, enrolled_in_every_state
):
    learner = make_user(sis_user_id="D-1")
    enrolled_in_every_state(learner)
    states = states_of(learner)
    users = User.objects.count()
    content = csv_bytes(USERS_CANVAS, ["D-1", learner.username, "", "", "", "deleted"])

    job = import_file("users", content, by=admin_user)
    assert "never deletes" in all_messages(job)
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    assert learner.marked_for_deletion_at is not None
    assert learner.marked_for_deletion_by == admin_user
    assert User.objects.count() == users
    assert states_of(learner) == states
    history = history_of(learner)
    assert_import_history(history[-1], by=admin_user)
    assert history[-1].marked_for_deletion_at is not None


def test_to_be_deleted_yes_marks_and_no_clears(admin_user, make_user):
    learner = make_user()
    bystander = make_user()
    start = len(history_of(learner))

    import_and_apply(
        "users",
        csv_bytes(["username", "to_be_deleted"], [learner.username, "yes"]),
        by=admin_user,
    )
    learner.refresh_from_db()
    assert learner.marked_for_deletion_at is not None
    assert learner.marked_for_deletion_by == admin_user
    assert learner.status == UserStatus.ACTIVE
    assert len(history_of(learner)) == start + 1
    assert_import_history(history_of(learner)[-1], by=admin_user)

    job = import_and_apply(
        "users",
        csv_bytes(["username", "to_be_deleted"], [learner.username, "No"]),
        by=admin_user,
    )
    assert job.state == "done"
    learner.refresh_from_db()
    assert learner.marked_for_deletion_at is None
    assert learner.marked_for_deletion_by is None
    assert len(history_of(learner)) == start + 2
    bystander.refresh_from_db()
    assert bystander.marked_for_deletion_at is None


def test_to_be_deleted_accepts_only_yes_or_no(admin_user, make_user):
    learner = make_user()
    before = world()
    job = import_file(
        "users",
        csv_bytes(["username", "to_be_deleted"], [learner.username, "maybe"]),
        by=admin_user,
    )
    assert counts(job) == {"error": 1}
    assert "to_be_deleted" in all_messages(job)
    assert world() == before


# History ----------------------------------------------------------------------------------


def test_one_history_row_when_a_row_changes_fields_and_status(admin_user, make_user):
    learner = make_user(sis_user_id="H-1")
    start = len(history_of(learner))
    content = csv_bytes(
        USERS_CANVAS,
        ["H-1", learner.username, "Changed", "Name", "changed@example.com", "suspended"],
    )

    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"status": 1}
    changes = {field for field, _, _ in rows_of(job)[min(rows_of(job))].changes}
    assert {"first_name", "last_name", "email", "status"} <= changes
    confirm(job, by=admin_user)

    history = history_of(learner)
    assert len(history) == start + 1
    last = history[-1]
    assert_import_history(last, by=admin_user)
    assert (last.first_name, last.last_name, last.email, last.status) == (
        "Changed",
        "Name",
        "changed@example.com",
        UserStatus.INACTIVE,
    )


def test_one_history_row_when_a_row_changes_fields_and_reactivates(admin_user, make_user):
    learner = make_user(sis_user_id="H-2")
    services.user_deactivate(learner, by=admin_user, reason="Test set-up")
    start = len(history_of(learner))
    content = csv_bytes(
        USERS_CANVAS, ["H-2", learner.username, "Back", "Again", "back@example.com", "active"]
    )

    import_and_apply("users", content, by=admin_user)

    history = history_of(learner)
    assert len(history) == start + 1
    assert_import_history(history[-1], by=admin_user)
    assert (history[-1].first_name, history[-1].status) == ("Back", UserStatus.ACTIVE)


def test_history_reason_names_the_file(admin_user, make_user):
    learner = make_user(sis_user_id="H-3")
    content = csv_bytes(USERS_CANVAS, ["H-3", learner.username, "Other", "", "", "active"])
    import_and_apply("users", content, by=admin_user, name="from-old-lms.csv")
    assert history_of(learner)[-1].history_change_reason == "Import from-old-lms.csv"
