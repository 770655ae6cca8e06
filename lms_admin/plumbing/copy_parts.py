"""A large CSV file written by COPY in parts at once, each part by its own connection, all
from one snapshot of the database.

PostgreSQL 15 runs an export query's per-person steps (LATERAL subqueries with a LIMIT or an
aggregate) in one process, whatever `max_parallel_workers_per_gather` says: the Archived
export of 1.5M rows kept one core busy for 17 s while the other waited. Here the file's
people are split in their file order; the first part is streamed from this connection as
it comes, and the others are written meanwhile by their own connections into temporary
files, then streamed in turn. The bytes are those of one COPY of the whole file.

Every part reads the same data: this connection's transaction is REPEATABLE READ and
exports its snapshot (`pg_export_snapshot`), and the other connections import it before
this one starts, as `pg_dump --jobs` does. A person changed while the file is written is
in it as they were when it started, once.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from lms_admin.plumbing.bulk import copy_blocks, copy_csv, copy_statement

logger = logging.getLogger(__name__)

# Below this many people one COPY is sooner: starting a connection costs a few milliseconds.
PARTS_FROM_PEOPLE = 20_000
# One part per core the database can give to it; this machine's kind has two.
PARTS = 2
# A part waiting to be streamed is held in memory up to this size, then on disk.
PART_IN_MEMORY = 16 * 1024 * 1024
SNAPSHOT_WAIT_SECONDS = 30


def copy_csv_in_parts(
    whole: tuple[str, tuple],
    people: tuple[str, tuple],
    part: Callable[[list], tuple[str, tuple]],
    columns: int,
    *,
    finished: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """`copy_csv` of the `whole` query, written in parts when it is large.

    `people` is a query of the ids of the file's people in the file's order; `part(ids)`
    is the file's query for those people only, in the same order. Inside an outer
    transaction (a test's, or a caller's) the other connections could not see its
    changes, so the file is then written in one piece."""
    if connection.in_atomic_block or PARTS < 2:
        yield from copy_csv(*whole, columns, finished=finished)
        return
    written = [0]
    helpers: list[_PartWriter] = []
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            wrapper.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            wrapper.execute("SET LOCAL jit = off")  # as in `copy_csv`
            wrapper.execute(*people)
            ids = [row[0] for row in wrapper.fetchall()]
            if len(ids) < PARTS_FROM_PEOPLE:
                statement = copy_statement(whole[0], columns)
                yield from copy_blocks(wrapper.cursor, statement, whole[1], written)
                return
            wrapper.execute("SELECT pg_export_snapshot()")
            snapshot = wrapper.fetchone()[0]
            size = -(-len(ids) // PARTS)
            shares = [ids[start : start + size] for start in range(0, len(ids), size)]
            helpers = [_PartWriter(snapshot, *part(share), columns) for share in shares[1:]]
            if not _all_reading(helpers):
                helpers = []
                statement = copy_statement(whole[0], columns)
                yield from copy_blocks(wrapper.cursor, statement, whole[1], written)
                return
            sql, params = part(shares[0])
            yield from copy_blocks(wrapper.cursor, copy_statement(sql, columns), params, written)
            for helper in helpers:
                before = written[0]
                for block, rows_so_far in helper.stream():
                    written[0] = before + rows_so_far
                    yield block
                written[0] = before + helper.rows
    finally:
        for helper in helpers:
            helper.stop()
        if finished is not None:
            finished(written[0])


def _all_reading(helpers: list[_PartWriter]) -> bool:
    """Start the parts. If one cannot take the snapshot (no connection to spare, say), stop
    them all and say so: the file is then written in one piece, more slowly, not lost."""
    for helper in helpers:
        helper.start()
    try:
        for helper in helpers:
            helper.wait_until_reading()
    except Exception:
        logger.warning("A part of an export could not start; written in one piece.", exc_info=True)
        for helper in helpers:
            helper.stop()
        return False
    return True


class _PartWriter(threading.Thread):
    """One part's COPY on a connection of its own, into a temporary file, while the parts
    before it are streamed."""

    def __init__(self, snapshot: str, sql: str, params, columns: int):
        super().__init__(daemon=True)
        self.snapshot = snapshot
        self.statement = copy_statement(sql, columns)
        self.params = params
        # Closed in stop(), which the streaming side always calls.
        self.file = tempfile.SpooledTemporaryFile(max_size=PART_IN_MEMORY)  # noqa: SIM115
        self.reading = threading.Event()
        self.error: BaseException | None = None
        self.rows = 0
        # Each block written: its size, and the part's rows up to its end. A block holds
        # whole rows, so a download abandoned on the way counts the rows it was handed.
        self.blocks: list[tuple[int, int]] = []
        self.took_snapshot = False
        self._raw = None
        self._stopped = threading.Event()

    def run(self) -> None:
        from psycopg import sql

        database = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            database.ensure_connection()
            raw = self._raw = database.connection
            raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            raw.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self.snapshot)))
            raw.execute("SET LOCAL jit = off")
            self.took_snapshot = True
            self.reading.set()
            if self._stopped.is_set():
                return
            written = [0]
            with raw.cursor() as cursor:
                for block in copy_blocks(cursor, self.statement, self.params, written):
                    self.file.write(block)
                    self.blocks.append((len(block), written[0]))
            self.rows = written[0]
            raw.execute("ROLLBACK")
        except BaseException as error:  # handed to the streaming thread, which raises it
            self.error = error
        finally:
            self.reading.set()
            database.close()

    def wait_until_reading(self) -> None:
        """Until the part has taken the snapshot: it must do so while the exporting
        transaction is open."""
        if not self.reading.wait(SNAPSHOT_WAIT_SECONDS):
            raise TimeoutError("A part of the export could not start.")
        if not self.took_snapshot:
            raise self.error or RuntimeError("A part of the export could not start.")

    def stream(self) -> Iterator[tuple[bytes, int]]:
        """The part's blocks as written, each with the part's rows up to its end."""
        self.join()
        if self.error is not None:
            raise self.error
        self.file.seek(0)
        for size, rows_so_far in self.blocks:
            yield self.file.read(size), rows_so_far

    def stop(self) -> None:
        """The download was abandoned or failed: cancel the part's query, if it still
        runs, and let go of its file."""
        self._stopped.set()
        if self.is_alive() and self._raw is not None:
            with contextlib.suppress(Exception):  # the query ended meanwhile
                self._raw.cancel()
        if self.ident is not None:  # started
            self.join()
        self.file.close()
