"""One cell of a file: files say Yes and No, formula starts are neutralised and read back,
and imports accept yes/no in any spelling."""

import csv
import io

import pytest

from imports.exporting import export_file, export_queryset
from lms_admin.plumbing.cells import (
    FORMULA_STARTS,
    cell,
    display,
    neutralise,
    read_yes_no,
    unneutralise,
)
from tests.imports.helpers import counts, csv_bytes, import_file
from users import services
from users.models import User

pytestmark = pytest.mark.django_db


def test_booleans_are_yes_and_no_in_every_file():
    assert (display(True), display(False)) == ("Yes", "No")
    assert (cell(True), cell(False)) == ("Yes", "No")


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_neutralised_formula_reads_back_as_typed(start):
    typed = f"{start}SUM(A1:A9)"
    assert neutralise(typed) == "'" + typed
    assert unneutralise(neutralise(typed)) == typed
    assert unneutralise("'quoted on purpose") == "'quoted on purpose"


@pytest.mark.parametrize("word", ["Yes", "yes", "YES", " y ", "true", "1", "x"])
def test_yes_in_any_spelling(word):
    assert read_yes_no(word) is True


@pytest.mark.parametrize("word", ["No", "no", "NO", "n", "false", "0"])
def test_no_in_any_spelling(word):
    assert read_yes_no(word) is False


def test_an_exported_people_file_says_yes_and_no_and_imports_back_unchanged(admin_user, make_user):
    marked, kept = make_user(username="marked.one"), make_user(username="kept.one")
    services.users_mark_for_deletion(
        User.objects.filter(pk=marked.pk), by=admin_user, reason="Left"
    )
    people = export_queryset("users", admin_user).filter(pk__in=[marked.pk, kept.pk])
    content = b"".join(export_file("users", people, "csv"))
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert {row["username"]: row["to_be_deleted"] for row in rows} == {
        "marked.one": "Yes",
        "kept.one": "No",
    }

    job = import_file("users", content, by=admin_user, name="people.csv")
    assert counts(job) == {"unchanged": 2}


def test_an_import_reads_to_be_deleted_in_lower_case_too(admin_user, make_user):
    learner = make_user(username="lower.case")
    content = csv_bytes(["username", "to_be_deleted"], [learner.username, "yes"])
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"updated": 1}
