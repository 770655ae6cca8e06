"""Importing people: Canvas users.csv and our own format, status words, lifecycle, history."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments.models import Enrollment
from imports.models import StatusWord
from imports.services import import_job_confirm
from users import services
from users.exceptions import DomainError
from users.models import User, UserSession, UserStatus

from .helpers import (
    USERS_CANVAS,
    all_messages,
    by_key,
    check_only,
    confirm,
    counts,
    csv_bytes,
    history_of,
    import_and_apply,
    import_file,
    rows_of,
    world,
)

pytestmark = pytest.mark.django_db

OWN = ["username", "sis_user_id", "first_name", "last_name", "email", "organisation", "status"]


def states_of(user):
    return dict(Enrollment.objects.filter(user=user).values_list("id", "state"))


def assert_import_history(row, *, by, reason="Import users.csv", kind="~"):
    assert row.history_user_id == by.pk
    assert row.history_change_reason == reason
    assert row.history_type == kind


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


# Preview ----------------------------------------------------------------------------------


def test_preview_lists_every_row_with_counts_and_changes_nothing(admin_user, make_user):
    same = make_user(sis_user_id="P-1")
    moved = make_user(sis_user_id="P-2")
    leaving = make_user(sis_user_id="P-3")
    before = world()
    content = csv_bytes(
        USERS_CANVAS,
        ["P-1", same.username, same.first_name, same.last_name, same.email, "active"],
        ["P-2", moved.username, moved.first_name, moved.last_name, "moved@example.com", "active"],
        ["P-3", leaving.username, leaving.first_name, leaving.last_name, leaving.email, "leave"],
        ["P-4", "newcomer", "New", "Comer", "newcomer@example.com", "active"],
        ["P-5", "broken", "Bro", "Ken", "not an email", "active"],
    )

    job = import_file("users", content, by=admin_user)

    assert job.state == "checked"
    assert counts(job) == {"unchanged": 1, "updated": 1, "status": 1, "new": 1, "error": 1}
    assert sum(job.counts.values()) == 5
    rows = by_key(job)
    outcome = {key.split(" ")[0]: row.outcome for key, row in rows.items()}
    assert outcome == {
        same.username: "unchanged",
        moved.username: "updated",
        leaving.username: "status",
        "newcomer": "new",
        "broken": "error",
    }
    updated = next(row for key, row in rows.items() if key.startswith(moved.username))
    assert updated.changes == [["email", moved.email, "moved@example.com"]]
    broken = next(row for key, row in rows.items() if key.startswith("broken"))
    assert any("not an email" in message for message in broken.messages)
    assert world() == before
    assert not job.can_confirm
    with pytest.raises(DomainError):
        import_job_confirm(job, by=admin_user)
    assert world() == before


def test_importing_the_same_file_again_changes_nothing(admin_user, make_user, organisation):
    existing = make_user(sis_user_id="A-1")
    leaving = make_user(sis_user_id="A-2")
    marked = make_user(sis_user_id="A-3")
    returning = make_user(sis_user_id="A-4", email="")
    services.user_deactivate(returning, by=admin_user, reason="Test set-up")
    content = csv_bytes(
        [*USERS_CANVAS, "to_be_deleted"],
        ["A-1", existing.username, "Renamed", "", "", "active", "no"],
        ["A-2", leaving.username, "", "", "", "Long Term Leave", ""],
        ["A-3", marked.username, "", "", "", "deleted", ""],
        ["A-4", returning.username, "", "", "", "active", ""],
        ["A-5", "brandnew", "Brand", "New", "brand@example.com", "Archived", "yes"],
    )
    first = import_and_apply("users", content, by=admin_user, organisation=organisation)
    assert first.state == "done", first.failure
    after_first = world()
    mail.outbox.clear()

    again = import_file("users", content, by=admin_user, organisation=organisation)

    assert counts(again) == {"unchanged": 5}
    again = confirm(again, by=admin_user)
    assert again.state == "done"
    assert world() == after_first
    assert again.credentials == []
    assert mail.outbox == []


def test_rows_without_changes_write_no_history(admin_user, make_user):
    learner = make_user(sis_user_id="N-1")
    before = world()
    content = csv_bytes(
        USERS_CANVAS,
        ["N-1", learner.username, learner.first_name, learner.last_name, learner.email, "active"],
    )
    job = import_and_apply("users", content, by=admin_user)
    assert counts(job) == {"unchanged": 1}
    assert world() == before


def test_a_check_and_an_apply_take_a_constant_number_of_queries(admin_user, organisation):
    def run(n, prefix):
        rows = [
            [f"{prefix}-{i}", f"{prefix}{i}", "Q", f"Person{i}", f"{prefix}{i}@example.com"]
            + ["active"]
            for i in range(n)
        ]
        content = csv_bytes(USERS_CANVAS, *rows)
        with CaptureQueriesContext(connection) as checking:
            job = check_only("users", content, by=admin_user, organisation=organisation)
        assert counts(job) == {"new": n}
        from imports import engine

        with CaptureQueriesContext(connection) as applying:
            engine.apply(job)
        job.refresh_from_db()
        assert job.state == "done", job.failure
        return len(checking.captured_queries), len(applying.captured_queries)

    run(2, "warm")  # the importer's permissions are read once, then cached
    small = run(3, "small")
    large = run(60, "large")
    assert large[0] <= small[0] + 2, (small, large)
    assert large[1] <= small[1] + 2, (small, large)


# Power users -----------------------------------------------------------------------------


def test_power_user_rows_for_another_organisation_are_errors(
    power_user, partner, make_user, organisation
):
    outsider = make_user(sis_user_id="OUT-1")  # in Acme, not the partner organisation
    before = world()
    content = csv_bytes(
        [*OWN],
        [outsider.username, "OUT-1", "Taken", "Over", outsider.email, "", "active"],
        ["newbie", "IN-1", "New", "Bie", "newbie@partner.example", "", "active"],
        ["stranger", "IN-2", "Str", "Anger", "stranger@partner.example", "ACME", "active"],
    )

    job = import_file("users", content, by=power_user)

    rows = by_key(job)
    outcome = {key.split(" ")[0]: row.outcome for key, row in rows.items()}
    assert outcome == {outsider.username: "error", "newbie": "new", "stranger": "error"}
    assert "outside your organisation" in " ".join(
        next(r for k, r in rows.items() if k.startswith(outsider.username)).messages
    )
    assert "not your organisation" in " ".join(
        next(r for k, r in rows.items() if k.startswith("stranger")).messages
    )
    with pytest.raises(DomainError):
        import_job_confirm(job, by=power_user)
    assert world() == before
    outsider.refresh_from_db()
    assert outsider.first_name == "Lee"


def test_power_user_new_people_go_to_their_organisation(power_user, partner):
    content = csv_bytes(
        USERS_CANVAS, ["IN-3", "fresh", "Fresh", "Face", "fresh@partner.example", "active"]
    )

    job = import_and_apply("users", content, by=power_user)

    assert job.state == "done", job.failure
    fresh = User.objects.get(username="fresh")
    assert fresh.organisation == partner
    assert_import_history(history_of(fresh)[0], by=power_user, kind="+")


def test_power_user_cannot_import_into_another_organisation(power_user, organisation):
    with pytest.raises(DomainError):
        import_file(
            "users",
            csv_bytes(USERS_CANVAS, ["X", "x", "X", "X", "x@example.com", "active"]),
            by=power_user,
            organisation=organisation,
        )


def test_manager_may_not_import(manager):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_file(
            "users",
            csv_bytes(USERS_CANVAS, ["X", "x", "X", "X", "x@example.com", "active"]),
            by=manager,
        )


# Undelete, and people who arrive deleted ---------------------------------------------------


@pytest.mark.parametrize("word", ["active", "Long Term Leave"])
def test_a_deleted_person_in_the_file_is_undeleted_with_every_enrolment(
    word, admin_user, make_user, enrolled_in_every_state
):
    learner = make_user(sis_user_id="UD-1", email="")
    enrolled_in_every_state(learner)
    states = states_of(learner)
    services.user_delete(learner, by=admin_user, reason="Test set-up")
    assert set(states_of(learner).values()) == {"deleted"}
    start = len(history_of(learner))

    job = import_file(
        "users",
        csv_bytes(USERS_CANVAS, ["UD-1", learner.username, "", "", "", word]),
        by=admin_user,
    )
    assert counts(job) == {"status": 1}
    assert "Undeleted" in all_messages(job)
    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    learner.refresh_from_db()
    expected = UserStatus.ACTIVE if word == "active" else UserStatus.INACTIVE
    assert learner.status == expected
    assert states_of(learner) == states
    assert len(history_of(learner)) == start + 1
    assert_import_history(history_of(learner)[-1], by=admin_user)
    assert job.applied["undeleted"] == 1
    assert bool(job.credentials) == (word == "active")


def test_a_new_person_whose_status_is_deleted_arrives_marked_for_deletion(admin_user, organisation):
    content = csv_bytes(
        USERS_CANVAS, ["ND-1", "formerly", "Former", "Ly", "former@example.com", "deleted"]
    )

    import_and_apply("users", content, by=admin_user, organisation=organisation)

    person = User.objects.get(username="formerly")
    assert person.status != UserStatus.DELETED
    assert person.marked_for_deletion_at is not None
    assert person.marked_for_deletion_by == admin_user


# Matching --------------------------------------------------------------------------------


def test_people_are_matched_by_sis_id_before_username(admin_user, make_user):
    learner = make_user(sis_user_id="MT-1")
    content = csv_bytes(USERS_CANVAS, ["MT-1", "new.login", "", "", "", "active"])

    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"updated": 1}
    assert ["username", learner.username, "new.login"] in rows_of(job)[min(rows_of(job))].changes
    confirm(job, by=admin_user)

    learner.refresh_from_db()
    assert learner.username == "new.login"


def test_a_person_without_sis_id_is_matched_by_username_and_gets_one(admin_user, make_user):
    learner = make_user()
    import_and_apply(
        "users",
        csv_bytes(USERS_CANVAS, ["MT-2", learner.username, "", "", "", "active"]),
        by=admin_user,
    )
    learner.refresh_from_db()
    assert learner.sis_user_id == "MT-2"


def test_a_username_held_by_someone_with_another_sis_id_is_an_error(admin_user, make_user):
    holder = make_user(sis_user_id="MT-3")
    before = world()
    job = import_file(
        "users",
        csv_bytes(USERS_CANVAS, ["MT-4", holder.username, "", "", "", "active"]),
        by=admin_user,
    )
    assert counts(job) == {"error": 1}
    assert "MT-3" in all_messages(job)
    assert world() == before


def test_an_xlsx_with_numbers_as_sis_ids(admin_user, make_user):
    from .helpers import xlsx_bytes

    learner = make_user(sis_user_id="12345")
    content = xlsx_bytes(USERS_CANVAS, [12345, learner.username, "Num", "", "", "suspended"])

    job = import_and_apply("users", content, by=admin_user, name="people.xlsx")

    assert counts(job) == {"status": 1}
    learner.refresh_from_db()
    assert (learner.first_name, learner.status) == ("Num", UserStatus.INACTIVE)


def test_a_semicolon_separated_file(admin_user):
    content = (
        b"user_id;login_id;first_name;last_name;email;status\n"
        b"SC-1;semi;Semi;Colon;semi@example.com;active\n"
    )
    job = import_and_apply("users", content, by=admin_user)
    assert User.objects.get(username="semi").last_name == "Colon"
    assert any(";" in note for note in job.findings["notes"])


def test_json_in_our_own_format(admin_user, make_user, organisation):
    from .helpers import json_bytes

    learner = make_user()
    content = json_bytes(
        [
            {"username": learner.username, "status": "Archived", "to_be_deleted": "yes"},
            {"username": "jsonperson", "first_name": "Jay", "organisation": "acme"},
        ]
    )
    job = import_and_apply("users", content, by=admin_user, name="people.json")
    assert counts(job) == {"status": 1, "new": 1}
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.marked_for_deletion_at is not None
    assert User.objects.get(username="jsonperson").organisation == organisation


def test_deactivating_the_last_training_admin_fails_and_changes_nothing(admin_user, make_user):
    make_user(sis_user_id="LA-1")
    content = csv_bytes(
        USERS_CANVAS,
        ["LA-1", "learner1", "Renamed", "", "", "active"],
        ["", admin_user.username, "", "", "", "inactive"],
    )
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"updated": 1, "status": 1}
    before = world()

    job = confirm(job, by=admin_user)

    assert job.state == "failed"
    assert "last active training admin" in job.failure
    assert world() == before
    admin_user.refresh_from_db()
    assert admin_user.status == UserStatus.ACTIVE
