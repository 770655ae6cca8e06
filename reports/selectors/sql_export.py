"""SQL pieces shared by the PostgreSQL export queries, and `Query`, which reads them in
the two ways `lms_admin.plumbing.bulk` offers: a server-side cursor (rows, for every
format) and COPY (a CSV file's body).

The exports' Python path turns every row into model instances and formats each cell in
Python; for a million rows that is minutes. On PostgreSQL the export queries instead
return each cell as the file shows it (`lms_admin.plumbing.cells.cell`): text in local
time, labels for states, formula starts neutralised. These helpers write those expressions once, so
each report's query says only which columns it wants.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import timezone

from lms_admin.plumbing.bulk import copy_csv, literal, stream_rows
from lms_admin.plumbing.cells import QUOTED_FIRST
from lms_admin.plumbing.copy_parts import copy_csv_in_parts

# str.strip() with no argument strips every character Python counts as white space;
# PostgreSQL's btrim strips only what it is given, so it is given the same set.
PYTHON_WHITESPACE = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
_WHITESPACE_CODES = ", ".join(str(ord(ch)) for ch in PYTHON_WHITESPACE)
_QUOTED_FIRST_CODES = ", ".join(
    str(ord(ch)) for ch in sorted(QUOTED_FIRST | set(PYTHON_WHITESPACE))
)


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


@dataclass(frozen=True)
class Query:
    """An export query whose rows are the file's cells, and the two ways of reading it:
    row by row (for every format) and, for CSV, as the file's body written by COPY."""

    sql: str
    params: tuple
    columns: int
    limit: int | None = None
    # For a file that may be large, written in parts at once (`copy_csv_in_parts`): the
    # ids of its people in the file's order, and the query for some of them (their ids ->
    # sql and parameters), whose rows are in the file's order.
    people: tuple[str, tuple] | None = None
    part: Callable[[list], tuple[str, tuple]] | None = None

    def _sql(self) -> str:
        # The export queries end in their ORDER BY, so a LIMIT can simply follow.
        return self.sql if self.limit is None else f"{self.sql} LIMIT {int(self.limit)}"

    def rows(self) -> Iterator[tuple]:
        return stream_rows(self._sql(), self.params)

    def csv_body(self, finished: Callable[[int], None] | None = None) -> Iterator[bytes]:
        if self.people is None or self.part is None or self.limit is not None:
            return copy_csv(self._sql(), self.params, self.columns, finished=finished)
        return copy_csv_in_parts(
            (self.sql, self.params), self.people, self.part, self.columns, finished=finished
        )
