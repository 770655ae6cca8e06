"""CSV files written by PostgreSQL's COPY: csv.writer's bytes (CRLF row ends, a bare LF
inside a quoted cell, empty cells unquoted), the row count told at the end, and an
abandoned download ending the COPY and its transaction."""

import csv
import io

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from psycopg.pq import TransactionStatus

from lms_admin.plumbing import bulk as fast_rows
from reports import exports
from reports.models import ExportRecord
from tests.reports.helpers import content, copies_running

on_postgresql = pytest.mark.postgresql("COPY is PostgreSQL's")
ARCHIVED_CSV = "/admin/reports/archived/export/csv/"
ROWS = [
    ("plain", "", "7.50"),
    ('a "quoted", cell', "line\nbreak", "-1"),
    ("carriage\r\nreturn", '"', ""),
    ("", "", ""),
    ("é\n", '""', "\n"),
    ("last", "x", "y"),
]


def _written(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


@on_postgresql
def test_copy_writes_csv_writer_bytes_and_counts_rows(db):
    values = ", ".join(
        "(" + ", ".join(fast_rows.literal(v) for v in row) + f", {n})" for n, row in enumerate(ROWS)
    )
    sql = f"SELECT a, b, c FROM (VALUES {values}) AS v(a, b, c, n) WHERE n >= %s ORDER BY n"
    told = []
    body = b"".join(fast_rows.copy_csv(sql, (0,), 3, finished=told.append))
    assert body == _written(ROWS) and told == [len(ROWS)]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_abandoned_copy_is_cancelled_and_its_transaction_ended(monkeypatch):
    monkeypatch.setattr(fast_rows, "COPY_CHUNK", 1000)
    # Far more rows than are read: the server is still writing when the file is dropped.
    sql = "SELECT g, 'row ' || g FROM generate_series(1, %s) AS g"
    told = []
    body = fast_rows.copy_csv(sql, (50_000_000,), 2, finished=told.append)
    taken = [next(body), next(body)]
    assert connection.in_atomic_block
    body.close()
    rows = b"".join(taken).count(b"\r\n")
    assert rows > 0 and told == [rows]
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert copies_running() == 0


@pytest.fixture
def leavers(admin_user, make_user):
    from users import services

    for n in range(5):
        person = make_user(username=f"leaver{n}", last_name=f'Left, "{n}"\nfor good')
        services.user_deactivate(person, by=admin_user, reason="")


def test_a_downloaded_file_records_its_rows(admin_client, leavers):
    data = content(admin_client.get(ARCHIVED_CSV))
    assert data.startswith(exports.csv_head(("Username",))[:-2])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    # A line break inside a name stays a bare LF; rows end in CRLF.
    assert len(rows) == 5 and data.count(b"\r\n") == 6 and data.count(b"\n") == 6 + 5
    record = ExportRecord.objects.get()
    assert record.rows == 5 and record.finished_at


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_records_the_rows_sent(admin_client, leavers, monkeypatch):
    # Outside a test transaction, as a server runs: closing the response ends the request,
    # and Django then drops a connection left in a transaction.
    monkeypatch.setattr(fast_rows, "COPY_CHUNK", 1)  # one row per chunk
    response = admin_client.get(ARCHIVED_CSV)
    chunks = iter(response.streaming_content)
    head, first = next(chunks), next(chunks)
    assert head.startswith("\ufeffUsername".encode()) and first.count(b"\r\n") == 1
    response.close()
    record = ExportRecord.objects.get()
    assert record.rows == 1 and record.finished_at
    assert not connection.in_atomic_block
    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert ExportRecord.objects.count() == 1  # the connection still answers


def test_a_download_closed_before_its_first_chunk_is_recorded_as_finished(admin_client, leavers):
    response = admin_client.get(ARCHIVED_CSV)
    # As the server does with a client gone before the first byte; the test client's own
    # end-of-request handling would close the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    record = ExportRecord.objects.get()
    assert record.rows == 0 and record.finished_at
