"""A power user's file cannot look anyone up outside their organisation.

A row naming someone (or a course or section) out of scope reads exactly as a row naming
an id nobody has: same outcome, same words, same shape, on the preview page, in the stored
rows and plans, and in the command's report; nothing of theirs is shown anywhere. SIS ids
run in sequence, so each test compares a taken id with the next, unused one.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from enrollments import services as enrollment_services
from imports.models import ImportJob, ImportPlan, ImportRow
from users import services
from users.models import User

from .helpers import ENROLLMENTS_CANVAS, USERS_CANVAS, csv_bytes, import_file, world

pytestmark = pytest.mark.django_db

TAKEN, NOBODYS = "ACME-0007", "ACME-0008"  # the outsider's SIS id, and the next one
TAKEN_NAME, NOBODYS_NAME = "hidden_hana", "hidden_hanb"
# What the outsider's rows hold that a power user must never see.
SECRETS = ("Hana", "Hiddenfield", "hiddenfield@acme.example", "Acme Training", "Safety basics")
MEMBERSHIPS = ["segment", "segment_organisation", "user_sis_id", "username", "status"]


@pytest.fixture
def outsider(make_user):
    """Someone of Acme, which the partner's power user may not see."""
    return make_user(
        username=TAKEN_NAME,
        sis_user_id=TAKEN,
        first_name="Hana",
        last_name="Hiddenfield",
        email="hana.hiddenfield@acme.example",
    )


def stored(job: ImportJob) -> str:
    """Everything kept of a checked file: rows, plans, counts, findings and failure."""
    rows = ImportRow.objects.filter(job=job).order_by("line")
    return json.dumps(
        {
            "rows": [[r.line, r.outcome, r.key, r.changes, r.messages] for r in rows],
            "plans": list(ImportPlan.objects.filter(job=job).values_list("plans", flat=True)),
            "counts": job.counts,
            "findings": job.findings,
            "layout": job.layout,
            "state": job.state,
            "failure": job.failure,
        },
        default=str,
    )


def preview_rows(client, job: ImportJob) -> str:
    """The rows table of the job's page, every outcome tab included."""
    html = client.get(reverse("admin:imports_importjob_job", args=[job.pk])).content.decode()
    tabs = re.search(r'<ul class="outcome-tabs".*?</ul>', html, re.S).group(0)
    table = re.search(r'<table class="import-rows">.*?</table>', html, re.S).group(0)
    return (tabs + table).replace(f"/importjob/{job.pk}/", "/importjob/<job>/")


def report(kind: str, content: bytes, person, tmp_path) -> str:
    """The command line's report of a dry run, as the power user."""
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    arguments = ("import_data", kind, str(path), "--dry-run", "--as", person.username)
    with contextlib.suppress(CommandError):  # refused rows: the report is what it printed
        call_command(*arguments, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def everything(client, kind, content, person, tmp_path, **options) -> str:
    job = import_file(kind, content, by=person, **options)
    return "\n".join(
        [stored(job), preview_rows(client, job), report(kind, content, person, tmp_path)]
    )


def assert_same_as_nobodys(
    client, person, tmp_path, kind, make_file, taken, nobodys, says="is not available", **options
):
    """The file naming `taken` and the same file naming `nobodys` read the same, byte for
    byte once the id itself is set aside, and show nothing of the outsider."""
    before = world()
    seen_taken = everything(client, kind, make_file(taken), person, tmp_path, **options)
    seen_nobodys = everything(client, kind, make_file(nobodys), person, tmp_path, **options)
    for secret in SECRETS:
        assert secret not in seen_taken, secret
    assert seen_taken.replace(taken, "<id>") == seen_nobodys.replace(nobodys, "<id>")
    assert says in seen_taken
    assert world() == before


@pytest.fixture
def power_client(client, power_user):
    client.force_login(power_user)
    return client


# People --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cells", "says"),
    [
        (["sis_user_id", "username", "status"], ["someone", "inactive"], "is not available"),
        (["sis_user_id", "status"], ["inactive"], "A new person needs a username"),
    ],
)
def test_a_status_file_naming_an_outsiders_sis_id(
    outsider, power_user, power_client, tmp_path, header, cells, says
):
    def make_file(sis):
        return csv_bytes(header, [sis, *cells])

    assert_same_as_nobodys(
        power_client, power_user, tmp_path, "users", make_file, TAKEN, NOBODYS, says=says
    )


def test_a_status_file_naming_an_outsiders_username(outsider, power_user, power_client, tmp_path):
    def make_file(username):
        return csv_bytes(["username", "status"], [username, "Long Term Leave"])

    assert_same_as_nobodys(
        power_client, power_user, tmp_path, "users", make_file, TAKEN_NAME, NOBODYS_NAME
    )


def test_a_row_with_a_bad_cell_reads_the_same(
    outsider, power_user, partner, power_client, tmp_path
):
    """A row refused for its own cells says nothing more when its id is taken elsewhere."""

    def make_file(sis):
        return csv_bytes(USERS_CANVAS, [sis, "someone", "Any", "Body", "not-an-email", "active"])

    assert_same_as_nobodys(
        power_client,
        power_user,
        tmp_path,
        "users",
        make_file,
        TAKEN,
        NOBODYS,
        says="is not a valid email address",
        organisation=partner,
    )


@pytest.mark.parametrize(
    "row",
    [
        [TAKEN, "brand_new", "Any", "Body", "any@partner.example", "active"],
        ["IN-77", TAKEN_NAME, "Any", "Body", "any@partner.example", "active"],
    ],
    ids=["sis id", "username"],
)
def test_a_new_person_with_an_outsiders_id_is_only_not_available(
    outsider, power_user, partner, power_client, tmp_path, row
):
    before = world()
    content = csv_bytes(USERS_CANVAS, row)

    seen = everything(power_client, "users", content, power_user, tmp_path, organisation=partner)

    job = ImportJob.objects.filter(created_by=power_user).latest("pk")
    (stored_row,) = ImportRow.objects.filter(job=job)
    what = f"SIS user ID {TAKEN}" if row[0] == TAKEN else f"username {TAKEN_NAME}"
    assert (stored_row.outcome, stored_row.messages) == ("error", [f"The {what} is not available."])
    assert not ImportPlan.objects.filter(job=job).exists()
    for secret in SECRETS:
        assert secret not in seen, secret
    assert world() == before


def test_giving_an_insider_an_outsiders_id_is_not_available(
    outsider, power_user, partner, admin_user, power_client, tmp_path
):
    insider = services.user_create(
        username="pam", organisation=partner, by=admin_user, reason="Test set-up"
    )
    before = world()

    seen = everything(
        power_client,
        "users",
        csv_bytes(["username", "sis_user_id", "status"], ["pam", TAKEN, ""]),
        power_user,
        tmp_path,
    )

    (row,) = ImportRow.objects.filter(job__created_by=power_user)[:1]
    assert (row.outcome, row.messages) == ("error", [f"The SIS user ID {TAKEN} is not available."])
    assert "Hiddenfield" not in seen
    assert world() == before
    insider.refresh_from_db()
    assert insider.sis_user_id is None


def test_a_training_admin_still_sees_whom_a_row_matches(outsider, admin_user, partner):
    """Scoping hides people from power users only: an admin is told who the id belongs to."""
    content = csv_bytes(USERS_CANVAS, [TAKEN, TAKEN_NAME, "", "", "", "inactive"])

    job = import_file("users", content, by=admin_user, organisation=partner)

    (row,) = ImportRow.objects.filter(job=job)
    assert "belongs to Acme Training" in " ".join(row.messages)


# Enrolments and memberships ------------------------------------------------------------


def test_an_enrolment_file_naming_an_outsider(
    outsider, power_user, admin_user, power_client, tmp_path
):
    shared = enrollment_services.course_create(
        code="OPEN", name="Open to all", sis_course_id="SIS-OPEN", by=admin_user, reason="Test"
    )
    # Already enrolled: a leaking lookup would call the row "unchanged", not an error.
    enrollment_services.enrollment_create(
        user=outsider, course=shared, by=admin_user, reason="Test", notify=False
    )

    def make_file(sis):
        return csv_bytes(ENROLLMENTS_CANVAS, ["SIS-OPEN", sis, "student", "", "active"])

    assert_same_as_nobodys(
        power_client, power_user, tmp_path, "enrollments", make_file, TAKEN, NOBODYS
    )


def test_a_memberships_file_naming_an_outsider(
    outsider, power_user, partner, admin_user, power_client, tmp_path
):
    services.segment_create(name="Night shift", organisation=partner, by=admin_user, reason="T")

    def make_file(username):
        return csv_bytes(MEMBERSHIPS, ["Night shift", "PART", "", username, "deleted"])

    assert_same_as_nobodys(
        power_client, power_user, tmp_path, "memberships", make_file, TAKEN_NAME, NOBODYS_NAME
    )


# Courses and sections (for a power user given the right to import them) ---------------


@pytest.fixture
def course_importer(power_user):
    codenames = ["add_course", "change_course", "add_section", "change_section"]
    power_user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=power_user.pk)  # without the cached permissions


def test_a_courses_file_naming_another_organisations_course(
    course, course_importer, client, tmp_path
):
    client.force_login(course_importer)
    before = world()
    content = csv_bytes(
        ["course_id", "short_name", "long_name", "status", "start_date"],
        [course.sis_course_id, "MINE", "Mine now", "active", "2030-01-01"],
    )

    seen = everything(client, "courses", content, course_importer, tmp_path)

    (row,) = ImportRow.objects.filter(job__created_by=course_importer)[:1]
    assert (row.outcome, row.messages) == (
        "error",
        [f"The SIS course ID {course.sis_course_id} is not available."],
    )
    for secret in SECRETS:
        assert secret not in seen, secret
    assert world() == before


def test_a_sections_file_naming_another_organisations_section(
    course, course_importer, admin_user, client, tmp_path
):
    enrollment_services.course_create(
        code="OPEN", name="Open to all", sis_course_id="SIS-OPEN", by=admin_user, reason="Test"
    )
    enrollment_services.section_create(
        course, name="Safety basics evenings", sis_section_id="SEC-7", by=admin_user, reason="T"
    )
    client.force_login(course_importer)
    before = world()
    content = csv_bytes(
        ["section_id", "course_id", "name", "status"], ["SEC-7", "SIS-OPEN", "Evenings", "active"]
    )

    seen = everything(client, "sections", content, course_importer, tmp_path)

    (row,) = ImportRow.objects.filter(job__created_by=course_importer)[:1]
    assert (row.outcome, row.messages) == ("error", ["The SIS section ID SEC-7 is not available."])
    for secret in SECRETS:
        assert secret not in seen, secret
    assert world() == before
