"""The Archived CSV written in parts at once (`lms_admin.plumbing.copy_parts`): the same
bytes as one COPY, every part read from the same snapshot, and an abandoned download
ending every part's query. Outside a test transaction, as a server runs: the parts'
connections cannot see a transaction that has not committed."""

import threading
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from lms_admin.plumbing import bulk as fast_rows
from lms_admin.plumbing import copy_parts
from reports.models import ExportRecord
from tests.reports.helpers import content, copies_running
from users import services

pytestmark = [
    pytest.mark.postgresql("the parts share a PostgreSQL snapshot"),
    pytest.mark.django_db(transaction=True),
]
ARCHIVED_CSV = "/admin/reports/archived/export/csv/"
LEAVERS = 7


@pytest.fixture
def leavers(admin_user, make_user, course):
    """Seven people who left, newest departure last made, each with an enrolment; some
    completed with a certificate, and names that need quoting."""
    people = []
    for n in range(LEAVERS):
        person = make_user(username=f"leaver{n}", last_name=f'Left, "{n}"\nfor good')
        enrollment = enrollment_services.enrollment_create(
            user=person, course=course, by=admin_user, reason="Test set-up"
        )
        if n % 2:
            enrollment_services.enrollment_set_state(
                enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Test set-up"
            )
            enrollment_services.certificate_issue(enrollment, by=admin_user, reason="Test set-up")
        services.user_deactivate(person, by=admin_user, reason=f"Left in round {n}")
        people.append(person)
    return people


@pytest.fixture
def parts_started(monkeypatch):
    """Parts from two people on, three parts; the list of parts started."""
    monkeypatch.setattr(copy_parts, "PARTS_FROM_PEOPLE", 2)
    monkeypatch.setattr(copy_parts, "PARTS", 3)
    started = []
    start = copy_parts._PartWriter.start

    def counted(helper):
        started.append(helper)
        start(helper)

    monkeypatch.setattr(copy_parts._PartWriter, "start", counted)
    return started


def _one_copy(admin_client, monkeypatch) -> bytes:
    with monkeypatch.context() as only_one:
        only_one.setattr(copy_parts, "PARTS", 1)
        return content(admin_client.get(ARCHIVED_CSV))


def test_a_file_in_parts_is_the_file_of_one_copy(admin_client, leavers, parts_started, monkeypatch):
    whole = _one_copy(admin_client, monkeypatch)
    assert not parts_started
    in_parts = content(admin_client.get(ARCHIVED_CSV))
    assert len(parts_started) == 2, "two parts beside this connection's"
    assert in_parts == whole
    assert in_parts.count(b"\r\n") == LEAVERS + 1  # the heading and one row per enrolment
    assert [record.rows for record in ExportRecord.objects.order_by("id")] == [LEAVERS, LEAVERS]
    assert all(not helper.is_alive() for helper in parts_started)


def test_a_small_file_is_one_copy(admin_client, leavers, parts_started, monkeypatch):
    monkeypatch.setattr(copy_parts, "PARTS_FROM_PEOPLE", LEAVERS + 1)
    body = content(admin_client.get(ARCHIVED_CSV))
    assert not parts_started and body.count(b"\r\n") == LEAVERS + 1


def test_every_part_reads_the_file_as_it_was_when_it_started(
    admin_client, leavers, parts_started, monkeypatch
):
    """A change committed after the download started, before the later parts run, is in
    none of them: they read the first part's snapshot, not the database as it is now."""
    start = copy_parts._PartWriter.start

    def rename_then_start(helper):
        other = connections.create_connection(DEFAULT_DB_ALIAS)  # in autocommit
        with other.cursor() as cursor:
            cursor.execute(
                "UPDATE users_user SET last_name = 'Renamed' WHERE username LIKE 'leaver%%'"
            )
        other.close()
        start(helper)

    monkeypatch.setattr(copy_parts._PartWriter, "start", rename_then_start)
    body = content(admin_client.get(ARCHIVED_CSV))
    assert b"Renamed" not in body
    assert body.count(b"for good") == LEAVERS


def test_an_abandoned_file_in_parts_ends_every_part(
    admin_client, leavers, parts_started, monkeypatch
):
    monkeypatch.setattr(fast_rows, "COPY_CHUNK", 1)  # one row per chunk
    # Each later part is still busy on the server when the download is dropped.
    copy_blocks = copy_parts.copy_blocks

    def busy(cursor, statement, params, written):
        if threading.current_thread() is not threading.main_thread():
            cursor.execute("SELECT pg_sleep(60)")
        yield from copy_blocks(cursor, statement, params, written)

    monkeypatch.setattr(copy_parts, "copy_blocks", busy)
    response = admin_client.get(ARCHIVED_CSV)
    chunks = iter(response.streaming_content)
    head, first = next(chunks), next(chunks)
    assert head.startswith("\ufeffUsername".encode()) and first.count(b"\r\n") == 1
    started = time.perf_counter()
    response.close()
    assert time.perf_counter() - started < 30, "the parts were cancelled, not waited for"
    assert len(parts_started) == 2
    assert all(not helper.is_alive() for helper in parts_started)
    assert copies_running() == 0
    record = ExportRecord.objects.get()
    assert record.rows == 1 and record.finished_at
    assert not connection.in_atomic_block


def test_a_file_abandoned_in_a_later_part_records_the_rows_it_was_handed(
    admin_client, leavers, parts_started, monkeypatch
):
    """Seven people in parts of three, three and one: dropped after the first row of the
    second part, the download was handed four rows, and its record says so."""
    monkeypatch.setattr(fast_rows, "COPY_CHUNK", 1)  # one row per chunk
    response = admin_client.get(ARCHIVED_CSV)
    chunks = iter(response.streaming_content)
    handed = [next(chunks) for _ in range(1 + 3 + 1)]  # the heading, the first part, one more
    response.close()
    assert all(chunk.count(b"\r\n") == 1 for chunk in handed[1:])
    assert len(parts_started) == 2
    assert all(not helper.is_alive() for helper in parts_started)
    record = ExportRecord.objects.get()
    assert record.rows == 4 and record.finished_at


def test_a_part_that_cannot_start_leaves_the_file_whole(
    admin_client, leavers, parts_started, monkeypatch
):
    """No connection to spare, say: the file is written in one piece, not lost."""
    whole = _one_copy(admin_client, monkeypatch)

    def cannot_connect(self):
        self.error = RuntimeError("too many connections")
        self.reading.set()

    monkeypatch.setattr(copy_parts._PartWriter, "run", cannot_connect)
    assert content(admin_client.get(ARCHIVED_CSV)) == whole
    assert len(parts_started) == 2
    assert [record.rows for record in ExportRecord.objects.order_by("id")] == [LEAVERS, LEAVERS]


def test_a_part_that_fails_on_its_way_fails_the_download(
    admin_client, leavers, parts_started, monkeypatch
):
    copy_blocks = copy_parts.copy_blocks

    def lost(cursor, statement, params, written):
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the part's connection was lost")
        yield from copy_blocks(cursor, statement, params, written)

    monkeypatch.setattr(copy_parts, "copy_blocks", lost)
    with pytest.raises(RuntimeError, match="connection was lost"):
        content(admin_client.get(ARCHIVED_CSV))
    record = ExportRecord.objects.get()
    assert record.finished_at and record.rows < LEAVERS
    assert copies_running() == 0


def test_a_power_users_file_in_parts_holds_only_their_organisation(
    client, leavers, power_user, partner, admin_user, make_user, parts_started
):
    """The parts are cut from the same scoped people as the whole file: a power user's
    file holds their own organisation's leavers and nobody else, in parts as in one."""
    for n in range(3):
        person = make_user(username=f"partner_leaver{n}", organisation=partner)
        services.user_deactivate(person, by=admin_user, reason="Left the partner")
    client.force_login(power_user)
    body = content(client.get(ARCHIVED_CSV)).decode("utf-8-sig")
    assert len(parts_started) == 2
    assert body.count("partner_leaver") == 3
    assert "leaver0" not in body.replace("partner_leaver0", "")
    assert body.count("\r\n") == 3 + 1
