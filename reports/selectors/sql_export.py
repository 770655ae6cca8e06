"""SQL pieces shared by the PostgreSQL export queries, and the two ways of reading them: a
server-side cursor (rows, for every format) and COPY (a CSV file's body).

The exports' Python path turns every row into model instances and formats each cell in
Python; for a million rows that is minutes. On PostgreSQL the export queries instead
return each cell as the file shows it (`reports.exports.cell`): text in local time, labels
for states, formula starts neutralised. These helpers write those expressions once, so
each report's query says only which columns it wants.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from reports.exports import QUOTED_FIRST

FETCH_ROWS = 2000
# COPY hands over one row per message; they are joined into blocks of about this size, so
# the response writes few, large pieces.
COPY_CHUNK = 64 * 1024
CRLF = b"\r\n"
_names = itertools.count(1)
# str.strip() with no argument strips every character Python counts as white space;
# PostgreSQL's btrim strips only what it is given, so it is given the same set.
PYTHON_WHITESPACE = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
_WHITESPACE_CODES = ", ".join(str(ord(ch)) for ch in PYTHON_WHITESPACE)
_QUOTED_FIRST_CODES = ", ".join(
    str(ord(ch)) for ch in sorted(QUOTED_FIRST | set(PYTHON_WHITESPACE))
)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def local_time(column: str) -> str:
    """`display(datetime)`: the time in the current time zone, to the second; '' for NULL.

    to_char truncates the fraction as strftime does. The zone is a bound parameter
    (`local_zone()`), so the `%s` placeholders of a query must list it once per use.
    """
    return f"COALESCE(to_char({column} AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS'), '')"


def local_zone() -> str:
    return timezone.get_current_timezone_name()


def plain(expression: str) -> str:
    """`neutralise(display(text))`: '' for NULL, and a quote before text that starts with a
    formula start, a quote or white space, or that ends in white space."""
    # The first and last characters compared by their codes, as numbers: a million-row
    # file has ten million cells, and left(text, 1) compared as text cost a fifth of the
    # whole query.
    value = f"COALESCE(({expression})::text, '')"
    return (
        f"(CASE WHEN ascii({value}) IN ({_QUOTED_FIRST_CODES}) "
        f"OR ascii(right({value}, 1)) IN ({_WHITESPACE_CODES}) "
        f"THEN '''' || {value} ELSE {value} END)"
    )


def full_name(alias: str) -> str:
    """`User.get_full_name()`: first and last name, stripped, or else the username."""
    return (
        f"COALESCE(NULLIF(btrim({alias}.first_name || ' ' || {alias}.last_name, "
        f"{literal(PYTHON_WHITESPACE)}), ''), {alias}.username)"
    )


def choice_label(column: str, choices) -> str:
    """`get_FOO_display()`: the label of a choice, or the stored value if it is unknown."""
    cases = " ".join(
        f"WHEN {literal(value)} THEN {literal(str(label))}" for value, label in choices
    )
    return f"(CASE {column} {cases} ELSE {column} END)"


def literal(text: str) -> str:
    # Only for constants of the code (choices, white space), never for user input.
    if "\x00" in text:
        text = text.replace("\x00", "")
    return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stream_rows(sql: str, params) -> Iterator[tuple]:
    """Rows of a query read through a named (server-side) cursor, a batch at a time, so
    memory stays flat however many rows there are.

    A cursor is planned for its first rows (cursor_tuple_fraction), so a file starts at
    once instead of after a sort of the whole table. It lives in a transaction, which is
    opened here if the caller has none and ends when the rows are read or the file is
    abandoned (`reports.exports` closes the rows it has not read).
    """
    with transaction.atomic(), connection.cursor() as wrapper:
        psycopg_connection = wrapper.cursor.connection
        with psycopg_connection.cursor(name=f"reports_export_{next(_names)}") as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH_ROWS):
                yield from rows


@dataclass(frozen=True)
class Query:
    """An export query whose rows are the file's cells, and the two ways of reading it:
    row by row (for every format) and, for CSV, as the file's body written by COPY."""

    sql: str
    params: tuple
    columns: int
    limit: int | None = None

    def _sql(self) -> str:
        # The export queries end in their ORDER BY, so a LIMIT can simply follow.
        return self.sql if self.limit is None else f"{self.sql} LIMIT {int(self.limit)}"

    def rows(self) -> Iterator[tuple]:
        return stream_rows(self._sql(), self.params)

    def csv_body(self, finished: Callable[[int], None] | None = None) -> Iterator[bytes]:
        return copy_csv(self._sql(), self.params, self.columns, finished=finished)


def copy_csv(
    sql: str, params, columns: int, *, finished: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The query's rows as CSV exactly as csv.writer writes them, by COPY: no cell passes
    through Python, which makes a large file several times faster than `stream_rows`.

    PostgreSQL writes a NULL as an empty cell and an empty text as `""`; csv.writer writes
    both as an empty cell, so empty texts are made NULL. PostgreSQL quotes as csv.writer
    does otherwise (a cell with a comma, quote, CR or LF; quotes doubled) but ends a row
    with LF where csv.writer writes CRLF. The server sends COPY data one row per message
    ("always one per row", protocol docs; libpq returns one row per call), so each block
    ends in its row's LF and any LF before it is inside a quoted cell, which stays as it
    is: only the last byte changes, and the blocks are the rows written.

    `finished(rows)` is told how many rows were written, once, whether the file was read
    to its end or abandoned; an abandoned file cancels the COPY (psycopg does, on leaving
    the `copy()` block with an exception) and rolls back its transaction first.
    """
    names = ", ".join(f"c{index}" for index in range(columns))
    cells = ", ".join(f"NULLIF(q.c{index}::text, '')" for index in range(columns))
    statement = f"COPY (SELECT {cells} FROM ({sql}) AS q({names})) TO STDOUT WITH (FORMAT csv)"
    rows = 0
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            # The export queries' estimates are large, so PostgreSQL would JIT-compile them;
            # their time goes on index lookups, not expressions, and at 1M users the
            # compiling cost more than it saved (COPY of 200,000 rows: 12.4 s with JIT,
            # 10.8 s without). SET LOCAL ends with the transaction.
            wrapper.execute("SET LOCAL jit = off")
            with wrapper.cursor.copy(statement, params) as copy:
                parts, size = [], 0
                for block in copy:
                    parts += (block[:-1], CRLF)
                    rows += 1
                    size += len(block)
                    if size >= COPY_CHUNK:
                        yield b"".join(parts)
                        parts, size = [], 0
                if parts:
                    yield b"".join(parts)
            # The server's own count, from COPY's command tag (psycopg reads it once the
            # copy has ended); the blocks counted above are the count of an abandoned file.
            rows = wrapper.cursor.rowcount
    finally:
        if finished is not None:
            finished(rows)
