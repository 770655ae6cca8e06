"""Set-based writing of many rows: COPY on PostgreSQL, executemany elsewhere.

The ORM's bulk_create and bulk_update build an expression per value (bulk_update a CASE
per row and column); at 100,000 rows that Python work, not the database, is the cost.
These helpers hand the values to the database driver as they are: `insert_rows` allocates
ids from the table's sequence and COPYs the rows in; `update_rows` COPYs the new values
into a temporary table and updates from it in one statement.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.utils import timezone

BATCH = 5000


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
