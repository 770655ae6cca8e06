"""Writing history rows: one at a time through simple-history, or set-based for bulk work.

simple-history's own bulk helpers build every row in Python; at 100,000 rows that is too
slow, so bulk services copy the new state of the changed rows into the history table with
one INSERT ... SELECT per batch, stamped with the actor and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, models
from django.utils import timezone

from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.lookups import id_list_condition
from lms_admin.plumbing.stale import refuse_stale_edit

HISTORY_META_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}

# Rows per statement: small enough for SQLite's parameter limit, large enough to be fast.
BATCH_SIZE = 5000


def id_list_batch_size(preferred: int) -> int:
    """How many ids one statement may take: `preferred` where a list of ids is one array
    parameter (PostgreSQL), else BATCH_SIZE, within SQLite's parameter limit."""
    return preferred if connection.vendor == "postgresql" else BATCH_SIZE


def batched(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def save_with_history(instance: models.Model, fields: Sequence[str], *, by, reason: str) -> None:
    """Save only `fields` and let simple-history write one row with actor and reason."""
    instance._history_user = by
    instance._change_reason = reason
    instance.save(update_fields=list(fields))


def create_with_history(model: type[models.Model], *, by, reason: str, **values):
    instance = model(**values)
    instance._history_user = by
    instance._change_reason = reason
    instance.full_clean()
    instance.save()
    return instance


def update_with_history(
    instance: models.Model,
    changes: dict,
    *,
    by,
    reason: str,
    allowed: Sequence[str],
    expected_version: str | None = None,
):
    """The body of a plain `<entity>_update` service: lock the row, refuse a stale page
    (plumbing.stale), set the fields that differ, validate, and save only them with one
    history row. Nothing differs, nothing is written. Returns the locked, saved row.

    Call it inside the service's transaction; a ValidationError says what is wrong."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    refuse_stale_edit(locked, expected_version=expected_version)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    locked.full_clean()
    save_with_history(locked, changed, by=by, reason=reason)
    for name in changed:
        setattr(instance, name, getattr(locked, name))
    return locked


def delete_with_history(instance: models.Model, *, by, reason: str) -> None:
    instance._history_user = by
    instance._change_reason = reason
    instance.delete()


def history_columns(model: type[models.Model]) -> list[str]:
    """The columns a history row copies from its object (all but the history_* ones)."""
    return [
        field.column
        for field in model.history.model._meta.concrete_fields
        if field.name not in HISTORY_META_FIELDS
    ]


def insert_history_rows(
    model: type[models.Model],
    ids: Sequence[int],
    *,
    by,
    reason: str,
    history_type: str = "~",
    when=None,
) -> int:
    """Copy the current state of rows `ids` of `model` into its history table.

    One statement for the whole list: callers pass a batch (see `batched`).
    """
    if not ids:
        return 0
    history_model = model.history.model
    columns = history_columns(model)
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(column) for column in columns)
    moment = connection.ops.adapt_datetimefield_value(when or timezone.now())
    condition, id_params = id_list_condition(quote(model._meta.pk.column), list(ids))
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} "
        f"({column_sql}, {quote('history_date')}, {quote('history_change_reason')}, "
        f"{quote('history_type')}, {quote('history_user_id')}) "
        f"SELECT {column_sql}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, reason, history_type, getattr(by, "pk", None), *id_params])
        return cursor.rowcount


def changed_fields(record, previous, *, exclude=("password",)) -> list[str]:
    """Names of the tracked fields that differ between two history rows of one object.

    simple-history's diff_against compares only editable fields; lifecycle fields such as
    status are deliberately not editable in forms, so compare every tracked field here.
    """
    return [
        field.name
        for field in record.tracked_fields
        if field.name not in exclude
        and getattr(record, field.attname) != getattr(previous, field.attname)
    ]
