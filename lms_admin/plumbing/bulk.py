"""SQL with the database driver, in one place: many rows written set-based (COPY on
PostgreSQL, executemany elsewhere), and a large query read back in constant memory
(a server-side cursor, or COPY straight into a CSV file's body).

The ORM's bulk_create and bulk_update build an expression per value (bulk_update a CASE
per row and column); at 100,000 rows that Python work, not the database, is the cost.
These helpers hand the values to the database driver as they are: `insert_rows` allocates
ids from the table's sequence and COPYs the rows in; `update_rows` COPYs the new values
into a temporary table and updates from it in one statement.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable, Iterator, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

BATCH = 5000
FETCH_ROWS = 2000
# COPY hands over one row per message; they are joined into blocks of about this size, so
# the response writes few, large pieces.
COPY_CHUNK = 64 * 1024
CRLF = b"\r\n"
_names = itertools.count(1)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def literal(text: str) -> str:
    # Only for constants of the code (choices, white space), never for user input.
    if "\x00" in text:
        text = text.replace("\x00", "")
    return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _json(value) -> str | None:
    if value is None:
        return None
    if value == []:
        return "[]"
    try:
        # The module's own encoder is built once; passing `cls` builds one per call. For
        # plain JSON types both write the same text.
        return json.dumps(value)
    except TypeError:
        return json.dumps(value, cls=DjangoJSONEncoder)


def _adapters(fields: Sequence[models.Field]):
    """Per column, how a Python value becomes what the driver takes."""
    adapters = []
    for field in fields:
        if isinstance(field, models.JSONField):
            adapters.append(_json)
        elif connection.vendor == "postgresql":
            adapters.append(None)
        else:
            adapters.append(lambda value, field=field: field.get_db_prep_save(value, connection))
    return adapters


def _adapt(rows, adapters):
    if all(adapt is None for adapter in [adapters] for adapt in adapter):
        yield from rows
        return
    for row in rows:
        yield [
            value if adapt is None else adapt(value)
            for value, adapt in zip(row, adapters, strict=True)
        ]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for rows about to be inserted, taken from the table's own sequence."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence's name first, on its own: inside the nextval() call,
            # pg_get_serial_sequence() runs once per row, ten times the cost of the nextval.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the write transaction that imports hold serialises writers, so the ids
        # after the current largest one are free.
        cursor.execute(
            f"SELECT COALESCE(MAX({_quote(model._meta.pk.column)}), 0) FROM {_quote(table)}"
        )
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model], values: list[dict], *, ids: bool = True, common: dict | None = None
) -> list[int]:
    """Insert rows given as {field attname: value}; other fields take their defaults.

    `common`: {field attname: value} for every row, over what the rows themselves give.

    Returns the new primary keys in the order of `values`; with `ids=False` the database
    numbers the rows itself and nothing is returned (faster, for rows nobody refers to).
    """
    if not values:
        return []
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {}
    for field in fields:
        if field.default is NOT_PROVIDED:
            defaults[field.attname] = (
                None if field.null else ("" if field.empty_strings_allowed else None)
            )
        elif field.default is timezone.now:
            defaults[field.attname] = timezone.now()
        else:
            defaults[field.attname] = field.get_default()
    columns = [field.column for field in fields]
    adapters = _adapters(fields)
    # Each row starts as a copy of the defaults, and only the fields the rows give are
    # looked up: a model of thirty fields of which a file sets eight is eight look-ups.
    common = common or {}
    template = [common.get(field.attname, defaults[field.attname]) for field in fields]
    given = set().union(*(row.keys() for row in values)) - common.keys()
    places = [(i, field.attname) for i, field in enumerate(fields) if field.attname in given]

    def filled(row: dict) -> list:
        cells = template.copy()
        for i, name in places:
            if name in row:
                cells[i] = row[name]
        return cells

    rows = map(filled, values)
    if not ids:
        _write_rows(model._meta.db_table, columns, _adapt(rows, adapters))
        return []
    new_ids = allocate_ids(model, len(values))
    columns = [model._meta.pk.column, *columns]
    adapters = [None if connection.vendor == "postgresql" else int, *adapters]
    rows = ([pk, *row] for pk, row in zip(new_ids, rows, strict=True))
    _write_rows(model._meta.db_table, columns, _adapt(rows, adapters))
    return new_ids


def write_tuples(model: type[models.Model], names: Sequence[str], rows) -> None:
    """Insert rows given as tuples of the fields `names` (attnames), in that order, with no
    dict per row; the model's other fields must be its primary key or nullable."""
    fields = [model._meta.get_field(name) for name in names]
    _write_rows(
        model._meta.db_table, [field.column for field in fields], _adapt(rows, _adapters(fields))
    )


def _write_rows(table: str, columns: list[str], rows) -> None:
    column_sql = ", ".join(_quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor, for COPY; its errors become Django's (IntegrityError...).
            with connection.wrap_database_errors:
                sql = f"COPY {_quote(table)} ({column_sql}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {_quote(table)} ({column_sql}) VALUES ({placeholders})"
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def update_rows(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """Set fields `names` of many rows: `rows` are (pk, value, value, ...)."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    table = model._meta.db_table
    pk = model._meta.pk.column
    adapters = [None if connection.vendor == "postgresql" else int, *_adapters(fields)]
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{_quote(field.column)} = %s" for field in fields)
        sql = f"UPDATE {_quote(table)} SET {assignments} WHERE {_quote(pk)} = %s"
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[*row[1:], row[0]] for row in _adapt(rows, adapters)])
        return
    if not connection.in_atomic_block:
        raise RuntimeError("update_rows runs inside a transaction: its staging table lives there.")
    staging = f"staging_{table}_{zlib.crc32(','.join(names).encode())}"
    columns = [pk, *(field.column for field in fields)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_quote(staging)} ON COMMIT DROP AS "
            f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_quote(staging)}")
    _write_rows(staging, columns, _adapt(rows, adapters))
    assignments = ", ".join(
        f"{_quote(field.column)} = staged.{_quote(field.column)}" for field in fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_quote(table)} AS target SET {assignments} FROM {_quote(staging)} AS staged "
            f"WHERE target.{_quote(pk)} = staged.{_quote(pk)}"
        )


# Reading ----------------------------------------------------------------------------


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


def copy_statement(sql: str, columns: int) -> str:
    """The COPY that writes the query's rows as csv.writer would (see `copy_csv`)."""
    names = ", ".join(f"c{index}" for index in range(columns))
    cells = ", ".join(f"NULLIF(q.c{index}::text, '')" for index in range(columns))
    return f"COPY (SELECT {cells} FROM ({sql}) AS q({names})) TO STDOUT WITH (FORMAT csv)"


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
    written = [0]
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            # The export queries' estimates are large, so PostgreSQL would JIT-compile them;
            # their time goes on index lookups, not expressions, and at 1M users the
            # compiling cost more than it saved (COPY of 200,000 rows: 12.4 s with JIT,
            # 10.8 s without). SET LOCAL ends with the transaction.
            wrapper.execute("SET LOCAL jit = off")
            yield from copy_blocks(wrapper.cursor, copy_statement(sql, columns), params, written)
    finally:
        if finished is not None:
            finished(written[0])


def copy_blocks(cursor, statement: str, params, written: list[int]) -> Iterator[bytes]:
    """The COPY's rows in blocks of about COPY_CHUNK bytes, each row ending in CRLF.
    `written[0]` counts the rows as they are handed on, and is the server's own count
    once the COPY has ended (psycopg reads it from COPY's command tag); the blocks
    counted are the count of an abandoned file."""
    with cursor.copy(statement, params) as copy:
        parts, size = [], 0
        for block in copy:
            parts += (block[:-1], CRLF)
            size += len(block)
            if size >= COPY_CHUNK:
                written[0] += len(parts) // 2
                yield b"".join(parts)
                parts, size = [], 0
        if parts:
            written[0] += len(parts) // 2
            yield b"".join(parts)
    written[0] = cursor.rowcount
