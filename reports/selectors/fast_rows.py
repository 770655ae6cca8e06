"""SQL pieces shared by the PostgreSQL export queries, and the server-side cursor that reads
them.

The exports' Python path turns every row into model instances and formats each cell in
Python; for a million rows that is minutes. On PostgreSQL the export queries instead
return each cell as the file shows it (`reports.exports.cell`): text in local time, labels
for states, formula starts neutralised. These helpers write those expressions once, so
each report's query says only which columns it wants.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from reports.exports import FORMULA_STARTS

FETCH_ROWS = 2000
_names = itertools.count(1)
# str.strip() with no argument strips every character Python counts as white space;
# PostgreSQL's btrim strips only what it is given, so it is given the same set.
PYTHON_WHITESPACE = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())


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
    """`neutralise(display(text))`: '' for NULL, and a quote before a formula start."""
    starts = ", ".join(literal(ch) for ch in FORMULA_STARTS)
    value = f"COALESCE(({expression})::text, '')"
    return f"(CASE WHEN left({value}, 1) IN ({starts}) THEN '''' || {value} ELSE {value} END)"


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
