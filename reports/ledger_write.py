"""Keeping the figures ledger (reports.FigureDelta) in step with every change.

The services call these in the same transaction as the change they make. Each change is
bracketed: before it, what the touched rows contribute to the figures is subtracted; after
it, what they contribute now is added, both on the day of the change. The difference is
exactly how the figures moved, whatever the change was, so a new kind of change needs no
new arithmetic, only a bracket. Every write is one grouped INSERT ... SELECT per batch,
merged into the ledger with ON CONFLICT (PostgreSQL and SQLite both have it).

What a person contributes while active: one to USERS, one to MEMBERS per segment, one to
ENROLMENTS per enrolment, one to SIGN_INS per sign-in. Inactive and deleted people
contribute nothing, so a status change moves all of it at once.

This module depends on models only (never on services), so users and enrollments services
may use it without a loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from enrollments.models import Enrollment
from lms_admin.plumbing.history import batched
from lms_admin.plumbing.lookups import id_list_condition
from reports.models import NO_DATE, NO_ID, FigureDelta, FigureKind, SignInEvent
from users.models import SegmentMembership, User, UserStatus

KEY = ("organisation_id", "segment_id", "course_id", "state", "on_day")
# The organisation a row counts under is its person's, now.
ORGANISATION = Coalesce(F("user__organisation_id"), Value(NO_ID))


def _contributions(kind: str, rows: QuerySet) -> QuerySet:
    """`rows` grouped by the key of `kind`, counted: columns k_<key column> and n."""
    if kind == FigureKind.USERS:
        dims = {
            "k_organisation_id": Coalesce(F("organisation_id"), Value(NO_ID)),
            "k_on_day": TruncDate("date_joined"),
        }
        active = {"status": UserStatus.ACTIVE}
    elif kind == FigureKind.MEMBERS:
        dims = {"k_organisation_id": ORGANISATION, "k_segment_id": F("segment_id")}
        active = {"user__status": UserStatus.ACTIVE}
    elif kind == FigureKind.ENROLMENTS:
        dims = {
            "k_organisation_id": ORGANISATION,
            "k_course_id": F("course_id"),
            "k_state": F("state"),
        }
        active = {"user__status": UserStatus.ACTIVE}
    else:
        dims = {"k_organisation_id": ORGANISATION, "k_on_day": TruncDate("at")}
        active = {"user__status": UserStatus.ACTIVE}
    return rows.filter(**active).order_by().annotate(**dims).values(*dims).annotate(n=Count("*"))


def _add(kind: str, rows: QuerySet, *, sign: int, now: datetime) -> None:
    """Add (sign 1) or subtract (sign -1) what `rows` contribute to `kind`, on now's day."""
    grouped = _contributions(kind, rows)
    inner, params = grouped.query.get_compiler(connection=connection).as_sql()
    _add_grouped(kind, inner, list(params), set(grouped.query.annotation_select), sign, now)


def _add_grouped(kind: str, inner: str, params: list, present: set, sign: int, now) -> None:
    """Merge the grouped contributions `inner` (columns k_<key column> and n) into the
    ledger: one INSERT ... SELECT ... ON CONFLICT, adding to rows already there."""
    quote = connection.ops.quote_name
    defaults = {
        "organisation_id": NO_ID,
        "segment_id": NO_ID,
        "course_id": NO_ID,
        "state": "",
        "on_day": connection.ops.adapt_datefield_value(NO_DATE),
    }
    values = [
        f"contribution.{quote(f'k_{column}')}" if f"k_{column}" in present else "%s"
        for column in KEY
    ]
    # Constants go in as parameters, in column order, before the inner query's.
    constant_params = [defaults[column] for column in KEY if f"k_{column}" not in present]
    table = quote(FigureDelta._meta.db_table)
    key_sql = ", ".join([quote("day"), quote("kind"), *(quote(column) for column in KEY)])
    # "WHERE true" tells SQLite the ON CONFLICT belongs to the INSERT, not to a join.
    sql = (
        f"INSERT INTO {table} ({key_sql}, {quote('n')}) "
        f"SELECT %s, %s, {', '.join(values)}, %s * contribution.{quote('n')} "
        f"FROM ({inner}) contribution WHERE true "
        f"ON CONFLICT ({key_sql}) DO UPDATE SET {quote('n')} = {table}.{quote('n')} + "
        f"EXCLUDED.{quote('n')}"
    )
    day = connection.ops.adapt_datefield_value(timezone.localdate(now))
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, kind, *constant_params, sign, *params])


# What people own, per kind: (table, key columns as SQL over alias r).
OWNED = {
    FigureKind.MEMBERS: (SegmentMembership, {"k_segment_id": "r.segment_id"}),
    FigureKind.ENROLMENTS: (Enrollment, {"k_course_id": "r.course_id", "k_state": "r.state"}),
    FigureKind.SIGN_INS: (SignInEvent, {"k_on_day": None}),
}


def _people_by_id(user_ids: list[int]) -> tuple[str, list]:
    """The active ones of the people `user_ids`, read by primary key, as the FROM item `u`
    (id, organisation_id, date_joined)."""
    quote = connection.ops.quote_name
    ids_sql, params = id_list_condition("id", list(user_ids))
    return (
        f"(SELECT id, organisation_id, date_joined FROM {quote(User._meta.db_table)} "
        f"WHERE {ids_sql} AND status = %s) u",
        [*params, UserStatus.ACTIVE],
    )


def _add_owned(kind: str, people: tuple[str, list], *, sign: int, now: datetime) -> None:
    """What the rows that `people` (a FROM item `u` and its parameters) own contribute to
    `kind`. Written in SQL that starts from the people, so the planner reads their rows by
    the user index (the ORM's join from the owned rows made PostgreSQL scan every user)."""
    quote = connection.ops.quote_name
    model, keys = OWNED[kind]
    select_params: list = []
    columns = [f"COALESCE(u.{quote('organisation_id')}, {NO_ID}) AS k_organisation_id"]
    for alias, expression in keys.items():
        if expression is None:
            expression, select_params = connection.ops.datetime_cast_date_sql(
                "r.at", (), timezone.get_current_timezone_name()
            )
            select_params = list(select_params)
        columns.append(f"{expression} AS {alias}")
    people_sql, people_params = people
    group = ", ".join(str(position) for position in range(1, len(columns) + 1))
    inner = (
        f"SELECT {', '.join(columns)}, COUNT(*) AS n FROM {people_sql} "
        f"JOIN {quote(model._meta.db_table)} r ON r.user_id = u.id GROUP BY {group}"
    )
    present = {"k_organisation_id", *keys}
    _add_grouped(kind, inner, [*select_params, *people_params], present, sign, now)


def _add_joined(people: tuple[str, list], *, sign: int, now: datetime) -> None:
    """What `people` contribute to USERS: one each, under organisation and day joined."""
    day, day_params = connection.ops.datetime_cast_date_sql(
        "u.date_joined", (), timezone.get_current_timezone_name()
    )
    people_sql, people_params = people
    inner = (
        f"SELECT COALESCE(u.organisation_id, {NO_ID}) AS k_organisation_id, {day} AS k_on_day, "
        f"COUNT(*) AS n FROM {people_sql} GROUP BY 1, 2"
    )
    present = {"k_organisation_id", "k_on_day"}
    _add_grouped(FigureKind.USERS, inner, [*day_params, *people_params], present, sign, now)


def _add_people(user_ids: list[int], *, sign: int, now: datetime) -> None:
    for batch in batched(user_ids):
        people = _people_by_id(batch)
        _add_joined(people, sign=sign, now=now)
        for kind in OWNED:
            _add_owned(kind, people, sign=sign, now=now)


def _lock(sql: str, params: list) -> None:
    """Row locks that keep the ledger exact under concurrent writes (PostgreSQL; SQLite
    runs one writer at a time). A contribution is read in its own statement after the
    lock, so it sees whatever the transaction it waited for committed; a transaction that
    comes later waits, then reads what this one wrote."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _lock_people(user_ids: list[int]) -> None:
    """The people whose status or organisation is changing, before their share is read.
    (No-op for rows the transaction has locked already, as the single-user services do.)"""
    if user_ids:
        table = connection.ops.quote_name(User._meta.db_table)
        _lock(
            f"SELECT 1 FROM {table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
            [list(user_ids)],
        )


def _hold_people_of(model, ids: list[int]) -> None:
    """The people owning rows that are being counted: shared locks, so that their status
    cannot change until this transaction ends (which a status change would otherwise
    miss or count twice)."""
    if ids:
        quote = connection.ops.quote_name
        _lock(
            f"SELECT 1 FROM {quote(User._meta.db_table)} WHERE id IN ("
            f"SELECT user_id FROM {quote(model._meta.db_table)} WHERE id = ANY(%s)) "
            "ORDER BY id FOR SHARE",
            [list(ids)],
        )


def hold_people(user_ids: Iterable[int]) -> None:
    """For services that lock rows of people before they count them: take the people's
    shared locks first, so that every writer locks people before their rows."""
    ids = sorted(set(user_ids))
    if ids:
        table = connection.ops.quote_name(User._meta.db_table)
        _lock(f"SELECT 1 FROM {table} WHERE id = ANY(%s) ORDER BY id FOR SHARE", [ids])


def _merge_sql(contribution: str) -> str:
    """INSERT the rows of `contribution` (day, kind, the key columns, n) into the ledger,
    adding to rows already there."""
    quote = connection.ops.quote_name
    table = quote(FigureDelta._meta.db_table)
    key_sql = ", ".join([quote("day"), quote("kind"), *(quote(column) for column in KEY)])
    return (
        f"INSERT INTO {table} ({key_sql}, n) SELECT * FROM ({contribution}) contribution "
        # "WHERE true" tells SQLite the ON CONFLICT belongs to the INSERT, not to a join.
        f"WHERE true ON CONFLICT ({key_sql}) DO UPDATE SET n = {table}.n + EXCLUDED.n"
    )


def _date_parameter() -> str:
    """A date parameter's placeholder: typed on PostgreSQL, where an untyped one in a
    UNION would be read as text."""
    return "%s::date" if connection.vendor == "postgresql" else "%s"


def people_left(user_ids: list[int], *, now: datetime) -> None:
    """People just made inactive by a statement of this transaction that changed only
    active people (so each of them was active a moment ago): everything they contributed
    while active goes, in one statement for every kind, with the people read once by id.
    Their organisation and join date are read from their rows, which a status change
    leaves as they were."""
    if not user_ids:
        return
    quote = connection.ops.quote_name
    zone = timezone.get_current_timezone_name()
    members, enrollments, sign_ins = (
        quote(model._meta.db_table) for model in (SegmentMembership, Enrollment, SignInEvent)
    )
    people_ids, people_params = id_list_condition("id", list(user_ids))
    joined_day, joined_params = connection.ops.datetime_cast_date_sql("u.date_joined", (), zone)
    sign_in_day, sign_in_params = connection.ops.datetime_cast_date_sql("r.at", (), zone)
    org = f"COALESCE(u.organisation_id, {NO_ID})"
    day = _date_parameter()

    def owned(table: str, columns: str) -> str:
        if connection.vendor == "postgresql":
            # Each person's rows through the user_id index (LATERAL ... OFFSET 0 keeps the
            # planner from turning it into a join, which would hash all ten million
            # enrolments to find the few hundred thousand of the people leaving).
            return (
                f"u CROSS JOIN LATERAL (SELECT {columns} FROM {table} o "
                "WHERE o.user_id = u.id OFFSET 0) r"
            )
        return f"u JOIN {table} r ON r.user_id = u.id"

    contribution = f"""
        SELECT {day}, %s, {org}, {NO_ID}, {NO_ID}, '', {joined_day}, -COUNT(*)
        FROM u GROUP BY 3, 7
        UNION ALL
        SELECT {day}, %s, {org}, r.segment_id, {NO_ID}, '', {day}, -COUNT(*)
        FROM {owned(members, "segment_id")} GROUP BY 3, 4
        UNION ALL
        SELECT {day}, %s, {org}, {NO_ID}, r.course_id, r.state, {day}, -COUNT(*)
        FROM {owned(enrollments, "course_id, state")} GROUP BY 3, 5, 6
        UNION ALL
        SELECT {day}, %s, {org}, {NO_ID}, {NO_ID}, '', {sign_in_day}, -COUNT(*)
        FROM {owned(sign_ins, "at")} GROUP BY 3, 7
    """
    today = connection.ops.adapt_datefield_value(timezone.localdate(now))
    no_date = connection.ops.adapt_datefield_value(NO_DATE)
    sql = (
        "WITH u AS MATERIALIZED (SELECT id, organisation_id, date_joined "
        f"FROM {quote(User._meta.db_table)} WHERE {people_ids}) " + _merge_sql(contribution)
    )
    params = [
        *people_params,
        *(today, FigureKind.USERS, *joined_params),
        *(today, FigureKind.MEMBERS, no_date),
        *(today, FigureKind.ENROLMENTS, no_date),
        *(today, FigureKind.SIGN_INS, *sign_in_params),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def people_loaded(users: QuerySet, *, now: datetime) -> None:
    """People written without the services (scale data loaded with COPY), all new, with
    their enrolments, memberships and sign-ins: what they contribute, one grouped
    statement per kind however many they are."""
    ids = users.order_by().values("id")
    _add(FigureKind.USERS, users.order_by(), sign=1, now=now)
    for kind, model in (
        (FigureKind.MEMBERS, SegmentMembership),
        (FigureKind.ENROLMENTS, Enrollment),
        (FigureKind.SIGN_INS, SignInEvent),
    ):
        _add(kind, model.objects.filter(user_id__in=ids), sign=1, now=now)


def people_added(user_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """People just created: one each to USERS if they arrive active. They own nothing yet
    (their enrolments and memberships, made after them, count when they are made)."""
    now = now or timezone.now()
    for batch in batched(list(user_ids)):
        _add_joined(_people_by_id(batch), sign=1, now=now)


@contextmanager
def people_changing(user_ids: Iterable[int], *, now: datetime | None = None):
    """Bracket a change of people's status or organisation, with everything that comes
    with it (their enrolments deleted or restored too): all they contribute moves.

    Afterwards only the people still active contribute; when none of a batch is (a
    deactivation or a deletion), nothing is read back for it. That is decided here from the
    rows, never by the caller, so a caller cannot make the figures drift."""
    ids, now = list(user_ids), now or timezone.now()
    _lock_people(ids)
    _add_people(ids, sign=-1, now=now)
    yield
    still_active = [
        batch
        for batch in batched(ids)
        if User.objects.filter(id__in=batch, status=UserStatus.ACTIVE).exists()
    ]
    for batch in still_active:
        _add_people(batch, sign=1, now=now)


def _add_rows(kind: str, model, ids: list[int], *, sign: int, now: datetime) -> None:
    for batch in batched(ids):
        _add(kind, model.objects.filter(id__in=batch), sign=sign, now=now)


def enrollments_added(ids: Iterable[int], *, now: datetime | None = None) -> None:
    ids = list(ids)
    _hold_people_of(Enrollment, ids)
    _add_rows(FigureKind.ENROLMENTS, Enrollment, list(ids), sign=1, now=now or timezone.now())


@contextmanager
def enrollments_changing(ids: Iterable[int], *, now: datetime | None = None):
    """Bracket a change of enrolments' states."""
    ids, now = list(ids), now or timezone.now()
    _hold_people_of(Enrollment, ids)
    _add_rows(FigureKind.ENROLMENTS, Enrollment, ids, sign=-1, now=now)
    yield
    _add_rows(FigureKind.ENROLMENTS, Enrollment, ids, sign=1, now=now)


def memberships_added(ids: Iterable[int], *, now: datetime | None = None) -> None:
    ids = list(ids)
    _hold_people_of(SegmentMembership, ids)
    _add_rows(FigureKind.MEMBERS, SegmentMembership, list(ids), sign=1, now=now or timezone.now())


def memberships_removing(ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Call before the memberships go: what they contributed is taken away."""
    ids = list(ids)
    _hold_people_of(SegmentMembership, ids)
    _add_rows(FigureKind.MEMBERS, SegmentMembership, ids, sign=-1, now=now or timezone.now())


def sign_in_added(event: SignInEvent) -> None:
    """A sign-in counts under the day it happened, from the day it is written down (a
    sign-in written down late cannot change figures already shown)."""
    now = max(event.at, timezone.now())
    hold_people([event.user_id])
    _add(FigureKind.SIGN_INS, SignInEvent.objects.filter(pk=event.pk), sign=1, now=now)
