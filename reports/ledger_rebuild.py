"""Building the figures ledger from scratch, from the tables and their history.

For a database whose ledger was never kept (existing data, scale data loaded with COPY) or
is in doubt. The services keep it afterwards (see reports.ledger_write). The result is what the
services would have written had they kept it from the start, and what the figures counted
from the history say for every past day (reports.selectors.sources):

- Every object lives in spans: each history version from its date until the next
  version's; from the newest version on, the current row (or nothing, if the row is gone);
  an object with no history at all is its current row for ever. "-" versions are gaps.
- A person counts while an active span lasts; an enrolment, membership or sign-in counts
  while its own span and an active span of its person overlap (a sign-in from its moment).
- Each span that counts adds one on the day it starts and takes one away on the day it
  ends, in the time zone of the reports.

One INSERT ... SELECT, on PostgreSQL and SQLite alike (window functions, CASE for the
larger and smaller of two moments, Django's own expression for a moment's local day).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from enrollments.models import Enrollment
from reports.models import NO_DATE, NO_ID, FigureDelta, FigureKind, SignInEvent
from users.models import SegmentMembership, User, UserStatus

q = connection.ops.quote_name


def _spans(name: str, model, columns: list[str]) -> str:
    """CTEs `<name>_versions` and `<name>_spans`: id, since, until (NULL: open), columns."""
    table, history = q(model._meta.db_table), q(model.history.model._meta.db_table)
    own = ", ".join(f"h.{q(c)}" for c in columns)
    current = ", ".join(f"t.{q(c)}" for c in columns)
    plain = ", ".join(q(c) for c in columns)
    order = "h.history_date, h.history_id"
    return f"""
    {name}_versions AS (
        SELECT h.id, h.history_type, h.history_date AS since,
               LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY {order}) AS until,
               ROW_NUMBER() OVER (
                   PARTITION BY h.id ORDER BY h.history_date DESC, h.history_id DESC
               ) AS newest,
               {own}
        FROM {history} h
    ),
    {name}_spans AS (
        SELECT id, since, until, {plain} FROM {name}_versions
        WHERE newest > 1 AND history_type <> '-'
        UNION ALL
        SELECT t.id, v.since, NULL, {current}
        FROM {name}_versions v JOIN {table} t ON t.id = v.id WHERE v.newest = 1
        UNION ALL
        SELECT t.id, NULL, NULL, {current} FROM {table} t
        WHERE NOT EXISTS (SELECT 1 FROM {history} h WHERE h.id = t.id)
    )"""


def _later(a: str, b: str) -> str:
    """The later of two starts, NULL meaning "always"."""
    return (
        f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} > {b} THEN {a} "
        f"ELSE {b} END"
    )


def _earlier(a: str, b: str) -> str:
    """The earlier of two ends, NULL meaning "never"."""
    return (
        f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} "
        f"ELSE {b} END"
    )


def _overlapping(kind: str, rows: str, start: str, end: str, key: str, on: str) -> str:
    """+1 where a span of `rows` (alias r) and an active span of its person (alias u) start
    overlapping, -1 where the overlap ends."""
    begin, finish = _later(start, "u.since"), _earlier(end, "u.until")
    overlap = f"({begin} IS NULL OR {finish} IS NULL OR {begin} < {finish})"
    return f"""
        SELECT '{kind}', {begin}, {key}, {on}, 1 FROM {rows} JOIN active u ON u.id = r.user_id
        WHERE {overlap}
        UNION ALL
        SELECT '{kind}', {finish}, {key}, {on}, -1 FROM {rows} JOIN active u ON u.id = r.user_id
        WHERE {overlap} AND {finish} IS NOT NULL"""


def _sql() -> tuple[str, list]:
    tzname = timezone.get_current_timezone_name()
    day, day_params = connection.ops.datetime_cast_date_sql("moment", (), tzname)
    on_day, on_params = connection.ops.datetime_cast_date_sql("on_moment", (), tzname)
    org = f"COALESCE(u.organisation_id, {NO_ID})"
    person_key = f"{org}, {NO_ID}, {NO_ID}, ''"
    signins = q(SignInEvent._meta.db_table)
    sql = f"""
    WITH {_spans("person", User, ["status", "organisation_id", "date_joined"])},
    active AS (SELECT * FROM person_spans WHERE status = %s),
    {_spans("enrolment", Enrollment, ["user_id", "course_id", "state"])},
    {_spans("member", SegmentMembership, ["user_id", "segment_id"])},
    events (kind, moment, organisation_id, segment_id, course_id, state, on_moment, n) AS (
        SELECT '{FigureKind.USERS.value}', u.since, {person_key}, u.date_joined, 1 FROM active u
        UNION ALL
        SELECT '{FigureKind.USERS.value}', u.until, {person_key}, u.date_joined, -1 FROM active u
        WHERE u.until IS NOT NULL
        UNION ALL
        {
        _overlapping(
            FigureKind.ENROLMENTS.value,
            "enrolment_spans r",
            "r.since",
            "r.until",
            f"{org}, {NO_ID}, r.course_id, r.state",
            "NULL",
        )
    }
        UNION ALL
        {
        _overlapping(
            FigureKind.MEMBERS.value,
            "member_spans r",
            "r.since",
            "r.until",
            f"{org}, r.segment_id, {NO_ID}, ''",
            "NULL",
        )
    }
        UNION ALL
        {
        _overlapping(FigureKind.SIGN_INS.value, f"{signins} r", "r.at", "NULL", person_key, "r.at")
    }
    )
    INSERT INTO {q(FigureDelta._meta.db_table)}
        (day, kind, organisation_id, segment_id, course_id, state, on_day, n)
    SELECT COALESCE({day}, %s), kind, organisation_id, segment_id, course_id, state,
           COALESCE({on_day}, %s), SUM(n)
    FROM events
    GROUP BY COALESCE({day}, %s), kind, organisation_id, segment_id, course_id, state,
             COALESCE({on_day}, %s)
    HAVING SUM(n) <> 0
    """
    no_date = connection.ops.adapt_datefield_value(NO_DATE)
    params = [
        UserStatus.ACTIVE,
        *day_params,
        no_date,
        *on_params,
        no_date,
        *day_params,
        no_date,
        *on_params,
        no_date,
    ]
    return sql, params


@transaction.atomic
def rebuild_ledger() -> int:
    """Replace the ledger with one built from the tables and the history; returns its rows."""
    sql, params = _sql()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {q(FigureDelta._meta.db_table)}")
        cursor.execute(sql, params)
    return FigureDelta.objects.count()
