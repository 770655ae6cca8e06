"""Bad files: encodings, columns, empty files, files that are not CSV, XLSX or JSON, and
files too large; each gives a file-level message and changes nothing."""

import io

import pytest
from openpyxl import Workbook

from imports import engine
from imports.models import ImportJob
from lms_admin.plumbing.errors import DomainError
from users.models import User

from .helpers import (
    USERS_CANVAS,
    assert_refused,
    confirm,
    counts,
    csv_bytes,
    file_error,
    import_and_apply,
    import_file,
    world,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


# Encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_utf8_with_or_without_bom_is_accepted(bom, admin_user):
    content = csv_bytes(USERS_CANVAS, ["U-1", "zoe", "Zoë", "Ørsted", "", "active"], bom=bom)

    job = import_and_apply("users", content, by=admin_user)

    assert job.layout == "Canvas SIS users.csv"
    zoe = User.objects.get(username="zoe")
    assert (zoe.sis_user_id, zoe.first_name, zoe.last_name) == ("U-1", "Zoë", "Ørsted")


def test_latin1_is_refused_clearly(admin_user, before):
    content = csv_bytes(
        USERS_CANVAS, ["U-2", "zoe", "Zoë", "Ørsted", "", "active"], encoding="latin-1"
    )

    job = import_file("users", content, by=admin_user)

    message = file_error(job)
    assert "Latin-1" in message
    assert "UTF-8" in message
    assert_refused(job, before, admin=admin_user)


def test_latin1_is_accepted_when_chosen(admin_user):
    content = csv_bytes(
        USERS_CANVAS, ["U-3", "zoe", "Zoë", "Ørsted", "", "active"], encoding="latin-1"
    )

    import_and_apply("users", content, by=admin_user, encoding="latin-1")

    zoe = User.objects.get(username="zoe")
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Ørsted")


# Columns -----------------------------------------------------------------------------------


def test_missing_required_columns_are_named(admin_user, before):
    content = csv_bytes(["user_id", "login_id", "first_name"], ["U-4", "someone", "Some"])
    job = import_file("users", content, by=admin_user)
    assert "status" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_a_file_that_says_nobody_is_refused_naming_the_columns(admin_user, before):
    job = import_file(
        "users", csv_bytes(["first_name", "email"], ["A", "a@example.com"]), by=admin_user
    )
    message = file_error(job)
    assert "username" in message and "sis_user_id" in message
    assert_refused(job, before, admin=admin_user)


def test_missing_enrolment_columns_are_named(admin_user, course, before):
    content = csv_bytes(["course_id", "user_id", "status"], ["SIS-SAFE101", "X", "active"])
    job = import_file("enrollments", content, by=admin_user)
    assert "role" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_extra_columns_are_ignored_and_listed(admin_user):
    content = csv_bytes(
        [*USERS_CANVAS, "favourite_colour", "Shoe Size"],
        ["U-5", "extra", "Ex", "Tra", "extra@example.com", "active", "blue", "42"],
    )
    job = import_file("users", content, by=admin_user)
    notes = " ".join(job.findings["notes"])
    assert "favourite_colour" in notes and "shoe_size" in notes
    assert counts(job) == {"new": 1}
    confirm(job, by=admin_user)
    assert User.objects.filter(username="extra").exists()


# Empty files ------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \r\n"], ids=["nothing", "blank", "spaces"])
def test_an_empty_file(content, admin_user, before):
    job = import_file("users", content, by=admin_user)
    assert "empty" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_headings_without_rows(admin_user, before):
    job = import_file("users", csv_bytes(USERS_CANVAS), by=admin_user)
    assert "no rows" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_an_empty_json_list(admin_user, before):
    job = import_file("users", b"[]", by=admin_user, name="users.json")
    assert "no rows" in file_error(job)
    assert_refused(job, before, admin=admin_user)


# Not a CSV file ---------------------------------------------------------------------------


def test_a_png_named_csv(admin_user, before):
    job = import_file("users", PNG, by=admin_user, name="people.csv")
    assert "PNG" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_a_pdf_is_refused_at_upload(admin_user, before):
    with pytest.raises(DomainError, match="not a CSV"):
        import_file("users", b"%PDF-1.7\n...", by=admin_user, name="people.pdf")
    assert not ImportJob.objects.exists()
    assert world() == before


def test_a_zip_named_csv(admin_user, before):
    workbook = io.BytesIO()
    Workbook().save(workbook)
    job = import_file("users", workbook.getvalue(), by=admin_user, name="people.csv")
    assert "not a CSV" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_binary_bytes_named_csv(admin_user, before):
    job = import_file("users", b"user_id\x00\x01\x02,login_id\n\x00\x00", by=admin_user)
    assert "binary" in file_error(job)
    assert_refused(job, before, admin=admin_user)


def test_text_named_xlsx(admin_user, before):
    content = csv_bytes(USERS_CANVAS, ["X-1", "x", "X", "X", "", "active"])
    job = import_file("users", content, by=admin_user, name="people.xlsx")
    assert "Excel" in file_error(job)
    assert_refused(job, before, admin=admin_user)


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"username": "x"}', b'["x", "y"]'], ids=["broken", "object", "list"]
)
def test_bad_json(content, admin_user, before):
    job = import_file("users", content, by=admin_user, name="people.json")
    assert file_error(job)
    assert_refused(job, before, admin=admin_user)


# Size --------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_at_upload(admin_user, before, settings):
    settings.IMPORT_MAX_BYTES = 100
    content = csv_bytes(
        USERS_CANVAS, *[[f"Z-{i}", f"z{i}", "Zed", "Zed", "", "active"] for i in range(10)]
    )
    assert len(content) > 100
    with pytest.raises(DomainError, match="Split it into smaller files"):
        import_file("users", content, by=admin_user)
    assert not ImportJob.objects.exists()
    assert world() == before


def test_a_file_over_the_size_limit_when_checked(admin_user, before, settings):
    """The limit holds for a job stored before the limit was lowered, too."""
    content = csv_bytes(
        USERS_CANVAS, *[[f"Z-{i}", f"z{i}", "Z", "Z", "", "active"] for i in range(9)]
    )
    from imports.services import import_job_create

    job = import_job_create(
        kind="users", file_name="people.csv", content=content, by=admin_user, start=False
    )
    settings.IMPORT_MAX_BYTES = 100
    engine.check(job)
    job.refresh_from_db()
    assert "files up to" in file_error(job)
    assert_refused(job, before, admin=admin_user)
