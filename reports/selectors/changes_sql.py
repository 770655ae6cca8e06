"""The change-log export on PostgreSQL: one query whose rows are the file's cells.

Same rows, in the same order, as `changes.change_rows` put through `lms_admin.plumbing.cells.cell`
(the tests compare them). Each tracked table contributes its filtered, scoped history rows
(from the same querysets as the page), each row joined to the row before it by LATERAL ...
LIMIT 1, and the fields that changed are written out in SQL; the tables are merged by
UNION ALL in the log's order.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import models

from enrollments.models import Course
from lms_admin.plumbing.bulk import literal
from reports.selectors.sql_export import Query, full_name, local_time, local_zone, plain
from users.models import Segment, User

USER = User._meta.db_table
# Fields whose `str()` in Python is PostgreSQL's text of the column. A foreign key is
# written as the name of the row it points at, scoped to the viewer (`changes._show`):
# a table with one is written by the Python path.
WRITTEN_AS_TEXT = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
)


def _related(table: str, alias: str, column: str) -> str:
    return f"LEFT JOIN {table} {alias} ON {alias}.id = h.{column}"


def _or_number(expression: str, noun: str, column: str) -> str:
    # A label names a related row that may since have been purged: "user #12" then.
    return f"COALESCE({expression}, '{noun} #' || h.{column})"


# Per tracked table: the object's label as `changes.Tracked.describe` writes it, and the
# joins it needs. Joins read the current rows, as `select_related` on the history does.
LABELS = {
    "user": ("h.username", ""),
    "enrollment": (
        _or_number("lu.username", "user", "user_id")
        + " || ' in ' || "
        + _or_number("lc.code", "course", "course_id"),
        _related(USER, "lu", "user_id") + " " + _related(Course._meta.db_table, "lc", "course_id"),
    ),
    "certificate": ("h.verification_code", ""),
    "course": ("h.code", ""),
    "section": ("h.name", ""),
    "organisation": ("h.name", ""),
    "segment": ("h.name", ""),
    "segmentmembership": (
        _or_number("lu.username", "user", "user_id")
        + " || ' in ' || "
        + _or_number("ls.name", "segment", "segment_id"),
        _related(USER, "lu", "user_id")
        + " "
        + _related(Segment._meta.db_table, "ls", "segment_id"),
    ),
    "accesstoken": (
        "COALESCE(NULLIF(h.purpose, ''), 'Token') || ' …' || h.hint || ' of ' || "
        + _or_number("lu.username", "user", "user_id"),
        _related(USER, "lu", "user_id"),
    ),
    "term": ("h.name", ""),
}


def _shown(field, column: str) -> str | None:
    """`changes._show`: how a value is written in the Changes column; None if this field
    is of a kind the SQL does not write (the export then takes the Python path)."""
    if field.choices:
        cases = " ".join(
            f"WHEN {literal(str(value))} THEN {literal(str(label))}"
            for value, label in field.flatchoices
        )
        text = f"(CASE {column} {cases} ELSE {column}::text END)"
    elif field.is_relation:
        return None
    elif isinstance(field, models.DateTimeField):
        # `display()`: local time to the second (the zone is the server's setting).
        zone = literal(local_zone())
        text = f"to_char({column} AT TIME ZONE {zone}, 'YYYY-MM-DD HH24:MI:SS')"
    elif isinstance(field, models.DateField):
        text = f"to_char({column}, 'YYYY-MM-DD')"
    elif isinstance(field, models.BooleanField):
        text = f"(CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' END)"
    elif isinstance(field, WRITTEN_AS_TEXT):
        text = f"{column}::text"
    else:
        return None
    return f"COALESCE(NULLIF({text}, ''), '—')"


def _is_set(field, column: str) -> str:
    """`value not in (None, "", False)`: False, 0 and "" count as unset, as in Python."""
    if isinstance(field, models.BooleanField):
        return f"{column} IS TRUE"
    if isinstance(field, models.CharField | models.TextField):
        return f"{column} <> ''"
    if isinstance(field, models.IntegerField | models.DecimalField | models.ForeignKey):
        return f"{column} <> 0"
    return f"{column} IS NOT NULL"


def _changes_text(fields) -> str:
    created, changed = [], []
    for field in fields:
        new, old = f"h.{field.column}", f"p.{field.column}"
        new_text, old_text = _shown(field, new), _shown(field, old)
        name = literal(str(field.verbose_name))
        created.append(f"CASE WHEN {_is_set(field, new)} THEN {name} || ': — → ' || {new_text} END")
        changed.append(
            f"CASE WHEN {old} IS DISTINCT FROM {new} "
            f"THEN {name} || ': ' || {old_text} || ' → ' || {new_text} END"
        )
    return (
        f"CASE WHEN h.history_type = '+' THEN concat_ws('; ', {', '.join(created) or 'NULL'}) "
        f"WHEN h.history_type = '-' OR p.history_id IS NULL THEN '' "
        f"ELSE concat_ws('; ', {', '.join(changed) or 'NULL'}) END"
    )


BRANCH = """
SELECT
    h.history_date AS sort_date, {order} AS sort_table, h.history_id AS sort_id,
    {when} AS c_when, {actor} AS c_actor, {action} AS c_action, {what} AS c_what,
    {label} AS c_label, h.id AS c_id, {changes} AS c_changes, {why} AS c_why
FROM ({rows}) h
LEFT JOIN {user_table} actor ON actor.id = h.history_user_id
{joins}
LEFT JOIN LATERAL (
    SELECT p.* FROM {history_table} p
    WHERE p.id = h.id AND (p.history_date < h.history_date
        OR (p.history_date = h.history_date AND p.history_id < h.history_id))
    ORDER BY p.history_date DESC, p.history_id DESC
    LIMIT 1
) p ON h.history_type = '~'
"""


def writes_changes_of(fields) -> bool:
    """Whether the SQL can write every one of these fields as `changes._show` does."""
    return all(_shown(field, "h.x") is not None for field in fields)


def _branch(spec, order: int, rows, fields, actions: dict) -> tuple[str, list] | None:
    columns = [field.attname for field in spec.history._meta.concrete_fields]
    try:
        rows_sql, rows_params = rows.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:
        return None
    label, joins = LABELS[spec.key]
    action_cases = " ".join(
        f"WHEN {literal(key)} THEN {literal(text)}" for key, text in actions.items()
    )
    sql = BRANCH.format(
        order=order,
        when=local_time("h.history_date"),
        actor=plain(f"CASE WHEN actor.id IS NULL THEN 'System' ELSE {full_name('actor')} END"),
        action=plain(f"CASE h.history_type {action_cases} ELSE h.history_type END"),
        what=plain(literal(spec.label)),
        label=plain(label),
        changes=plain(_changes_text(fields)),
        why=plain("h.history_change_reason"),
        rows=rows_sql,
        user_table=USER,
        joins=joins,
        history_table=spec.history._meta.db_table,
    )
    return sql, [local_zone(), *rows_params]


def change_query(branches: list, *, columns: int, limit: int | None = None) -> Query | None:
    """The query of the log's rows from (spec, order, rows, fields, actions) per table,
    newest first; None if there can be none."""
    parts = [part for part in (_branch(*branch) for branch in branches) if part]
    if not parts:
        return None
    sql = (
        "SELECT c_when, c_actor, c_action, c_what, c_label, c_id, c_changes, c_why FROM ("
        + " UNION ALL ".join(f"({part})" for part, _ in parts)
        + ") log ORDER BY sort_date DESC, sort_table DESC, sort_id DESC"
    )
    params = tuple(value for _, values in parts for value in values)
    return Query(sql, params, columns, limit)
