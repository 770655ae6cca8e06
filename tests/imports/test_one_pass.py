"""Checking and applying in one pass (engine.one_pass) when nothing needs looking at first:
the same people, history, ledger, row report and job as the preview and its confirmation;
anything that needs the preview undoes the pass and leaves the usual two steps."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from imports import engine
from imports.models import ImportJob, ImportPlan, ImportRow
from imports.services import import_job_create
from reports.models import FigureDelta
from users.models import User

from .helpers import USERS_CANVAS, check_only, csv_bytes, world

pytestmark = pytest.mark.django_db

PERSON = ("username", "sis_user_id", "email", "first_name", "last_name", "status")
PERSON += ("organisation_id", "marked_for_deletion_by_id", "must_change_password")
HISTORY = ("username", "history_type", "history_user_id", "history_change_reason", "status")
HISTORY += ("first_name", "email", "organisation_id")
FIGURE = ("day", "kind", "organisation_id", "segment_id", "course_id", "state", "on_day", "n")
JOB = ("state", "layout", "findings", "counts", "rows_total", "rows_done", "applied")
JOB += ("new_people_sign_in", "failure", "content")


def snapshot(job: ImportJob) -> dict:
    """Everything an import leaves, without ids and clock times."""
    job.refresh_from_db()
    people = sorted(User.objects.values_list(*PERSON, "marked_for_deletion_at", "password"))
    return {
        "people": [(*p[:-2], p[-2] is not None, p[-1].startswith("!")) for p in people],
        "history": sorted(User.history.values_list(*HISTORY)),
        "figures": sorted(FigureDelta.objects.values_list(*FIGURE)),
        "rows": list(
            ImportRow.objects.filter(job=job)
            .order_by("line")
            .values_list("line", "outcome", "key", "changes", "messages")
        ),
        "job": {name: getattr(job, name) for name in JOB},
        "times": [bool(job.checked_at), bool(job.confirmed_at), bool(job.finished_at)],
        "credentials": sorted(item["username"] for item in job.credentials),
        "world": world(),
    }


def two_steps(job, sign_in):
    engine.check(job)
    job.new_people_sign_in = sign_in
    job.save(update_fields=["new_people_sign_in"])
    engine.apply(job)


def one_pass(job, sign_in):
    assert engine.one_pass(job, new_people_sign_in=sign_in)


def outcome(run, content, by, *, sign_in="", **options):
    """What `run` leaves, then undone, so both ways start from the same database."""
    with transaction.atomic():
        job = import_job_create(
            kind="users", file_name="users.csv", content=content, by=by, start=False, **options
        )
        run(job, sign_in)
        found = snapshot(job)
        transaction.set_rollback(True)
    return found


@pytest.fixture
def mixed(make_user):
    """New people (one arriving inactive, one marked for deletion, one with a formula),
    a name change, an email change, and someone unchanged."""
    renamed = make_user(sis_user_id="S-1", first_name="Old")
    emailed = make_user(sis_user_id="S-2")
    same = make_user(sis_user_id="S-3")
    return csv_bytes(
        USERS_CANVAS,
        ["N-1", "newone", "New", "One", "new1@EXAMPLE.com", "active"],
        ["N-2", "newtwo", "New", "Two", "", "Long Term Leave"],
        ["N-3", "newthree", "=1+1", "Three", "new3@example.com", "deleted"],
        ["S-1", renamed.username, "Renamed", "", "", "active"],
        ["S-2", emailed.username, "", "", "changed@example.com", ""],
        ["S-3", same.username, same.first_name, same.last_name, same.email, "active"],
        ["", "newfour", "New", "Four", "new4@example.com", ""],
    )


@pytest.mark.parametrize("sign_in", ["", "password"])
def test_one_pass_leaves_what_the_two_steps_leave(admin_user, mixed, sign_in):
    two = outcome(two_steps, mixed, admin_user, sign_in=sign_in)
    one = outcome(one_pass, mixed, admin_user, sign_in=sign_in)

    assert one == two
    assert one["job"]["state"] == "done"
    assert one["job"]["counts"]["new"] == 4
    assert one["job"]["applied"]["created"] == 4


def test_one_pass_with_an_organisation_and_batches(admin_user, organisation, monkeypatch):
    from imports.kinds.users import UsersKind

    monkeypatch.setattr(UsersKind, "batch_size", 3)
    content = csv_bytes(
        USERS_CANVAS,
        *(
            [f"B-{n}", f"batch{n}", "Bat", f"Ch{n}", f"b{n}@example.com", "active"]
            for n in range(8)
        ),
    )
    two = outcome(two_steps, content, admin_user, organisation=organisation)
    one = outcome(one_pass, content, admin_user, organisation=organisation)

    assert one == two
    assert one["job"]["rows_total"] == 8


def test_one_pass_writes_no_stored_plans_and_a_query_count_that_rows_do_not_change(admin_user):
    def queries(rows):
        content = csv_bytes(
            USERS_CANVAS,
            *([f"Q{rows}-{n}", f"q{rows}_{n}", "Q", "P", "", "active"] for n in range(rows)),
        )
        job = import_job_create(
            kind="users", file_name="q.csv", content=content, by=admin_user, start=False
        )
        with CaptureQueriesContext(connection) as captured:
            assert engine.one_pass(job)
        assert not ImportPlan.objects.filter(job=job).exists()
        assert ImportRow.objects.filter(job=job).count() == rows
        return len(captured)

    assert queries(3) == queries(40)


def people_file(*rows):
    return csv_bytes(USERS_CANVAS, *rows)


def test_a_status_change_goes_the_two_step_way(admin_user, make_user):
    learner = make_user(sis_user_id="C-1")
    content = people_file(
        ["C-1", learner.username, "", "", "", "inactive"],
        ["C-2", "newbie", "New", "Bie", "", "active"],
    )
    job = import_job_create(
        kind="users", file_name="u.csv", content=content, by=admin_user, start=False
    )
    before = world()

    assert not engine.one_pass(job)

    job.refresh_from_db()
    assert job.state == "queued"
    assert world() == before
    assert not ImportRow.objects.filter(job=job).exists()


@pytest.mark.parametrize(
    "rows",
    [
        # A username change: a later row could name the person by the old one.
        [["C-1", "renamed", "", "", "", ""]],
        # Two rows naming the same person (by SIS id, then by username).
        [["C-1", "", "", "", "", ""], ["", "{username}", "Other", "", "", ""]],
        # A mark for deletion.
        [["C-1", "{username}", "", "", "", "deleted"]],
    ],
)
def test_rows_whose_plans_could_depend_on_each_other_go_the_two_step_way(
    admin_user, make_user, rows
):
    learner = make_user(sis_user_id="C-1")
    content = people_file(
        *([cell.format(username=learner.username) for cell in row] for row in rows)
    )
    job = import_job_create(
        kind="users", file_name="u.csv", content=content, by=admin_user, start=False
    )
    before = world()

    assert not engine.one_pass(job)

    assert world() == before
    assert ImportJob.objects.get(pk=job.pk).state == "queued"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_bad_row_changes_nothing_and_leaves_the_usual_preview(admin_user, tmp_path):
    content = people_file(
        ["G-1", "good1", "Good", "One", "g1@example.com", "active"],
        ["G-2", "good2", "Good", "Two", "g2@example.com", "active"],
        ["G-3", "bad name!", "Bad", "Row", "not-an-email", "active"],
        ["G-4", "good4", "Good", "Four", "g4@example.com", "active"],
    )
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    before = world()

    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_data", "users", str(path), "--as", admin_user.username)

    assert world() == before
    job = ImportJob.objects.get()
    assert job.state == "checked"
    with transaction.atomic():
        preview = check_only("users", content, by=admin_user, name="people.csv")
        expected = snapshot(preview)
        transaction.set_rollback(True)
    found = snapshot(job)
    assert found["rows"] == expected["rows"]
    assert found["job"] == expected["job"]
    assert found["job"]["counts"]["error"] == 1
    assert ImportPlan.objects.filter(job=job).exists()


def test_the_command_imports_in_one_pass_and_reports_every_row(admin_user, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        people_file(
            ["P-1", "passone", "Pass", "One", "p1@example.com", "active"],
            ["P-2", "passtwo", "Pass", "Two", "", "Long Term Leave"],
        )
    )

    out, _ = run("import_data", "users", str(path), "--as", admin_user.username)

    assert "Rows: 2 new" in out
    assert "row 2 new: passone (SIS P-1): Pass One, p1@example.com. No organisation" in out
    assert "row 3 new: passtwo (SIS P-2): Pass Two. Arrives inactive. No organisation" in out
    assert "Imported: 2 created." in out
    job = ImportJob.objects.get()
    assert (job.state, job.rows_total, job.content) == ("done", 2, None)
    assert not ImportPlan.objects.filter(job=job).exists()
    last = User.history.filter(username="passone").get()
    assert (last.history_user_id, last.history_change_reason) == (
        admin_user.pk,
        "Import people.csv",
    )


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_planning_and_the_report_run_beside(admin_user, monkeypatch):
    """On PostgreSQL, outside a transaction, the planner reads on a connection of its own
    and the rows' report is written on another: a bad row in a later batch still leaves
    nothing, not even the report of the rows before it."""
    from imports.kinds.users import UsersKind

    monkeypatch.setattr(UsersKind, "batch_size", 2)
    rows = [[f"T-{n}", f"beside{n}", "Bes", f"Ide{n}", "", "active"] for n in range(5)]

    def job_for(content):
        return import_job_create(
            kind="users", file_name="b.csv", content=content, by=admin_user, start=False
        )

    before = world()
    bad = job_for(people_file(*rows, ["T-9", "bad name!", "", "", "", "active"]))
    assert not engine.one_pass(bad)
    assert world() == before
    assert not ImportRow.objects.filter(job=bad).exists()
    assert ImportJob.objects.get(pk=bad.pk).state == "queued"

    good = job_for(people_file(*rows))
    assert engine.one_pass(good)
    good.refresh_from_db()
    assert (good.state, good.rows_total, good.applied["created"]) == ("done", 5, 5)
    assert ImportRow.objects.filter(job=good, outcome="new").count() == 5
    assert User.objects.filter(username__startswith="beside").count() == 5
