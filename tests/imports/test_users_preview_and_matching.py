"""Importing people: the preview, power users, undelete, matching rows to people."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.services import import_job_confirm
from lms_admin.plumbing.errors import DomainError
from users import services
from users.models import User, UserStatus

from .helpers import (
    OWN_USERS as OWN,
)
from .helpers import (
    USERS_CANVAS,
    all_messages,
    assert_import_history,
    by_key,
    check_only,
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
    assert "is not available" in " ".join(
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
