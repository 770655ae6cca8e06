"""Bad rows: duplicate and unknown keys, bad cells, formula cells, row numbers; each gives
a row-level message and changes nothing."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from enrollments import services as enrollment_services
from users.models import User

from .helpers import (
    ENROLLMENTS_CANVAS,
    USERS_CANVAS,
    all_messages,
    assert_refused,
    by_key,
    confirm,
    counts,
    csv_bytes,
    history_of,
    import_and_apply,
    import_file,
    json_bytes,
    rows_of,
    world,
)

pytestmark = pytest.mark.django_db


# Keys --------------------------------------------------------------------------------------


def test_the_same_sis_id_twice_makes_both_rows_errors(admin_user, before):
    content = csv_bytes(
        USERS_CANVAS,
        ["DUP-1", "first", "First", "One", "one@example.com", "active"],
        ["OK-1", "fine", "Fine", "Row", "fine@example.com", "active"],
        ["DUP-1", "second", "Second", "Two", "two@example.com", "active"],
    )

    job = import_file("users", content, by=admin_user)

    assert counts(job) == {"error": 2, "new": 1}
    rows = by_key(job)
    first = next(row for key, row in rows.items() if key.startswith("first"))
    second = next(row for key, row in rows.items() if key.startswith("second"))
    assert first.outcome == second.outcome == "error"
    assert any("DUP-1" in message and str(second.line) in message for message in first.messages)
    assert any("DUP-1" in message and str(first.line) in message for message in second.messages)
    assert_refused(job, before, admin=admin_user)


def test_the_same_sis_id_twice_across_batches(admin_user, before, monkeypatch):
    from imports.kinds import KINDS

    monkeypatch.setattr(KINDS["users"], "batch_size", 2)
    content = csv_bytes(
        USERS_CANVAS,
        ["DUP-2", "first", "First", "One", "one@example.com", "active"],
        ["OK-2", "fine", "Fine", "Row", "fine@example.com", "active"],
        ["OK-3", "good", "Good", "Row", "good@example.com", "active"],
        ["DUP-2", "second", "Second", "Two", "two@example.com", "active"],
    )
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 2, "new": 2}
    assert_refused(job, before, admin=admin_user)


def test_the_same_username_twice_makes_both_rows_errors(admin_user, before):
    content = csv_bytes(
        USERS_CANVAS,
        ["D-1", "twin", "First", "One", "one@example.com", "active"],
        ["D-2", "twin", "Second", "Two", "two@example.com", "active"],
    )
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 2}
    assert_refused(job, before, admin=admin_user)


def test_the_sis_id_of_someone_in_another_organisation(admin_user, make_user, partner):
    outsider = make_user(sis_user_id="ACME-9")  # in Acme
    before = world()
    content = csv_bytes(USERS_CANVAS, ["ACME-9", outsider.username, "Other", "Name", "", "active"])

    job = import_file("users", content, by=admin_user, organisation=partner)

    assert counts(job) == {"error": 1}
    assert "Partner Ltd" in all_messages(job)
    assert_refused(job, before, admin=admin_user)


def test_the_sis_id_of_someone_outside_a_power_users_organisation(power_user, make_user):
    outsider = make_user(sis_user_id="ACME-10")
    before = world()
    content = csv_bytes(USERS_CANVAS, ["ACME-10", "anybody", "Any", "Body", "", "active"])

    job = import_file("users", content, by=power_user)

    assert counts(job) == {"error": 1}
    assert "The SIS user ID ACME-10 is not available." in all_messages(job)
    assert_refused(job, before, admin=power_user)
    outsider.refresh_from_db()
    assert outsider.username != "anybody"


def test_unknown_course_and_section(admin_user, make_user, course):
    make_user(sis_user_id="K-1")
    before = world()
    content = csv_bytes(
        ENROLLMENTS_CANVAS,
        ["NO-SUCH-COURSE", "K-1", "student", "", "active"],
        ["SIS-SAFE101", "K-1", "student", "NO-SUCH-SECTION", "active"],
        ["SIS-SAFE101", "NOBODY", "student", "", "active"],
    )

    job = import_file("enrollments", content, by=admin_user)

    assert counts(job) == {"error": 3}
    messages = all_messages(job)
    assert "NO-SUCH-COURSE" in messages
    assert "NO-SUCH-SECTION" in messages
    assert "NOBODY" in messages
    assert_refused(job, before, admin=admin_user)


def test_unknown_course_for_a_section(admin_user, before):
    content = csv_bytes(
        ["section_id", "course_id", "name", "status"], ["S-1", "NO-SUCH-COURSE", "X", "active"]
    )
    job = import_file("sections", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "NO-SUCH-COURSE" in all_messages(job)
    assert_refused(job, before, admin=admin_user)


# Cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["not an email", "a@b@c", "missing-at.example.com", "x@"])
def test_an_invalid_email(email, admin_user, before):
    content = csv_bytes(USERS_CANVAS, ["E-1", "someone", "Some", "One", email, "active"])
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "not a valid email" in all_messages(job)
    assert_refused(job, before, admin=admin_user)


def test_an_invalid_email_for_an_existing_person(admin_user, make_user):
    learner = make_user(sis_user_id="E-2")
    before = world()
    content = csv_bytes(USERS_CANVAS, ["E-2", learner.username, "", "", "nope", "active"])
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert_refused(job, before, admin=admin_user)
    learner.refresh_from_db()
    assert learner.email != "nope"


def test_a_status_word_not_in_the_mapping(admin_user, make_user):
    learner = make_user(sis_user_id="W-1")
    before = world()
    content = csv_bytes(
        USERS_CANVAS,
        ["W-1", learner.username, "", "", "", "Sabbatical"],
        ["W-2", "newbie", "New", "Bie", "", "gone fishing"],
    )

    job = import_file("users", content, by=admin_user)

    assert counts(job) == {"error": 2}
    rows = rows_of(job)
    assert all(any("Unknown status" in m for m in row.messages) for row in rows.values())
    assert "Sabbatical" in all_messages(job)
    assert_refused(job, before, admin=admin_user)
    learner.refresh_from_db()
    assert learner.status == "active"


def test_an_unknown_enrolment_status(admin_user, make_user, course):
    make_user(sis_user_id="W-3")
    before = world()
    content = csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "W-3", "student", "", "on hold"])
    job = import_file("enrollments", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "on hold" in all_messages(job)
    assert_refused(job, before, admin=admin_user)


# Formula cells -----------------------------------------------------------------------------


def test_formula_cells_in_a_csv_are_stored_as_text(admin_user, make_user):
    learner = make_user(sis_user_id="F-2")
    content = csv_bytes(
        USERS_CANVAS,
        ["F-1", "formula", "=1+1", "+SUM(A1:A2)", "", "active"],
        ["F-2", learner.username, "@cmd", '=HYPERLINK("http://x")', "", "active"],
    )

    job = import_file("users", content, by=admin_user)
    assert "never calculated" in all_messages(job)
    confirm(job, by=admin_user)

    person = User.objects.get(username="formula")
    assert (person.first_name, person.last_name) == ("=1+1", "+SUM(A1:A2)")
    learner.refresh_from_db()
    assert (learner.first_name, learner.last_name) == ("@cmd", '=HYPERLINK("http://x")')
    assert history_of(person)[0].first_name == "=1+1"


def test_formula_cells_in_an_xlsx_are_stored_as_the_formula_text(admin_user):
    book = Workbook()
    sheet = book.active
    sheet.append(USERS_CANVAS)
    sheet.append(["F-3", "sheetformula", "=1+1", "=A2&B2", "", "active"])
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    stored = load_workbook(io.BytesIO(content)).active
    assert stored["C2"].data_type == "f"  # a real formula cell, not text

    job = import_file("users", content, by=admin_user, name="people.xlsx")
    assert counts(job) == {"new": 1}
    confirm(job, by=admin_user)

    person = User.objects.get(username="sheetformula")
    assert (person.first_name, person.last_name) == ("=1+1", "=A2&B2")


def test_formula_cells_in_json_are_stored_as_text(admin_user):
    content = json_bytes(
        [{"username": "jsonformula", "first_name": "=1+1", "email": "j@example.com"}]
    )
    import_and_apply("users", content, by=admin_user, name="people.json")
    assert User.objects.get(username="jsonformula").first_name == "=1+1"


def test_formula_cells_in_course_names_are_stored_as_text(admin_user):
    content = csv_bytes(
        ["course_id", "short_name", "long_name", "account_id", "status"],
        ["SIS-F", "F1", "=2*3", "", "active"],
    )
    import_and_apply("courses", content, by=admin_user)
    from enrollments.models import Course

    assert Course.objects.get(sis_course_id="SIS-F").name == "=2*3"


# Row numbers -------------------------------------------------------------------------------


def test_row_numbers_are_as_a_spreadsheet_shows_them_in_csv(admin_user):
    content = csv_bytes(USERS_CANVAS, ["R-1", "rowtwo", "Row", "Two", "bad", "active"])
    job = import_file("users", content, by=admin_user)
    assert list(rows_of(job)) == [2]


def test_row_numbers_are_as_a_spreadsheet_shows_them_in_xlsx(admin_user):
    book = Workbook()
    sheet = book.active
    sheet.append(USERS_CANVAS)
    sheet.append(["R-1", "rowtwo", "Row", "Two", "bad", "active"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = import_file("users", buffer.getvalue(), by=admin_user, name="people.xlsx")
    assert list(rows_of(job)) == [2]


# Other row errors -------------------------------------------------------------------------


def test_a_new_person_needs_a_username(admin_user, before):
    content = csv_bytes(["sis_user_id", "first_name", "email"], ["N-1", "No", "no@example.com"])
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "username" in all_messages(job)
    assert_refused(job, before, admin=admin_user)


def test_a_bad_username(admin_user, before):
    content = csv_bytes(USERS_CANVAS, ["B-1", "has space!", "Bad", "Name", "", "active"])
    job = import_file("users", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert_refused(job, before, admin=admin_user)


def test_a_deleted_persons_enrolment_cannot_change(admin_user, make_user, course):
    from users import services

    learner = make_user(sis_user_id="DEL-1")
    enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Test set-up"
    )
    services.user_delete(learner, by=admin_user, reason="Test set-up")
    before = world()
    content = csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "DEL-1", "student", "", "active"])
    job = import_file("enrollments", content, by=admin_user)
    assert counts(job) == {"error": 1}
    assert "deleted" in all_messages(job)
    assert_refused(job, before, admin=admin_user)
