"""The duplicate finder as it was before its reasons were read from their own indexes
(users/selectors/duplicates.py at 91305f2), kept as it was, but for the helpers it shares
with the finder unchanged: the oracle that tests/users/test_duplicate_finder.py compares
the fast finder with (the same groups, in the same order, page after page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from enrollments.models import Enrollment
from users.models import User, UserStatus

# Unchanged by the fast finder, so shared with it rather than copied.
from users.selectors.duplicates import (  # noqa: F401
    COURSE_GROUPS_SCANNED,
    PAGE_SIZE,
    REASONS,
    _scope_sql,
    _sis_key_sql,
)


@dataclass
class DuplicateGroup:
    reason: str
    key: str
    users: list[User]


def _grouped_ids(viewer, reason: str, after: str, limit: int) -> list[tuple[str, list[int]]]:
    """(key, ids) of up to `limit` groups after the key `after`, in key order."""
    scope_sql, scope_params = _scope_sql(viewer)
    base = (
        f"FROM {User._meta.db_table} u WHERE u.status <> %s AND u.anonymised_at IS NULL{scope_sql}"
    )
    params = [UserStatus.DELETED, *scope_params]
    if connection.vendor == "postgresql":
        ids_sql = "string_agg(u.id::text, ',' ORDER BY u.id)"
    else:
        ids_sql = "group_concat(u.id, ',')"
    if reason == "email":
        key_sql, having, key_params = "lower(u.email)", "COUNT(*) > 1", []
        base += " AND u.email <> ''"
    elif reason == "name":
        key_sql = (
            "COALESCE(CAST(u.organisation_id AS TEXT), '') || '|' || u.last_name || '|' "
            "|| u.first_name"
        )
        group_sql = "u.organisation_id, u.last_name, u.first_name"
        return _run(
            f"SELECT {key_sql}, {ids_sql} {base} AND u.last_name <> '' "
            f"GROUP BY {group_sql} HAVING COUNT(*) > 1 AND {key_sql} > %s "
            f"ORDER BY {group_sql} LIMIT %s",
            [*params, after, limit],
        )
    elif reason == "course":
        key_sql, having, key_params = "u.last_name || '|' || u.first_name", "COUNT(*) > 1", []
        base += " AND u.last_name <> ''"
        group_sql = "u.last_name, u.first_name"
        return _run(
            f"SELECT {key_sql}, {ids_sql} {base} GROUP BY {group_sql} "
            f"HAVING COUNT(*) > 1 AND {key_sql} > %s ORDER BY {group_sql} LIMIT %s",
            [*params, after, limit],
        )
    else:
        key_sql, key_params = _sis_key_sql()
        having = "COUNT(DISTINCT COALESCE(u.organisation_id, 0)) > 1"
        base += " AND u.sis_user_id IS NOT NULL"
    return _run(
        f"SELECT key, ids FROM (SELECT {key_sql} AS key, {ids_sql} AS ids {base} "
        f"GROUP BY {key_sql} HAVING {having}) grouped "
        f"WHERE key IS NOT NULL AND key > %s ORDER BY key LIMIT %s",
        [*key_params, *params, *key_params, after, limit],
    )


def _run(sql: str, params: list) -> list[tuple[str, list[int]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(key, [int(i) for i in str(ids).split(",")]) for key, ids in cursor.fetchall()]


def _with_shared_course(groups: list[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
    """Of name groups, those where at least two of the people share a course: the people
    who do, per group (one query for the lot)."""
    ids = [pk for _, members in groups for pk in members]
    courses_of: dict[int, set[int]] = {}
    for user_id, course_id in Enrollment.objects.filter(user_id__in=ids).values_list(
        "user_id", "course_id"
    ):
        courses_of.setdefault(user_id, set()).add(course_id)
    found = []
    for key, members in groups:
        sharing = [
            pk
            for pk in members
            if any(
                courses_of.get(pk, set()) & courses_of.get(other, set())
                for other in members
                if other != pk
            )
        ]
        if len(sharing) > 1:
            found.append((key, sharing))
    return found


def duplicate_groups(
    viewer, *, reason: str = "email", after: str = "", page_size: int = PAGE_SIZE
) -> tuple[list[DuplicateGroup], str | None]:
    """One page of likely duplicates for `reason`, and the key to ask for the next page
    (None on the last). Power users see groups inside their organisation only."""
    if reason not in REASONS:
        reason = "email"
    if reason == "course":
        groups, cursor = [], after
        scanned = 0
        while len(groups) < page_size and scanned < COURSE_GROUPS_SCANNED:
            batch = _grouped_ids(viewer, "course", cursor, 500)
            if not batch:
                cursor = None
                break
            scanned += len(batch)
            groups += _with_shared_course(batch)
            cursor = batch[-1][0]
        rows = groups[:page_size]
        following = rows[-1][0] if len(groups) > page_size else cursor
        if rows and len(groups) <= page_size and cursor is None:
            following = None
    else:
        rows = _grouped_ids(viewer, reason, after, page_size + 1)
        following = rows[page_size - 1][0] if len(rows) > page_size else None
        rows = rows[:page_size]
    people = User.objects.in_bulk([pk for _, members in rows for pk in members])
    for person in people.values():
        person.organisation_name = ""  # filled below without a query per person
    organisations = dict(
        User.objects.filter(pk__in=people, organisation__isnull=False).values_list(
            "pk", "organisation__name"
        )
    )
    for pk, name in organisations.items():
        people[pk].organisation_name = name
    return (
        [
            DuplicateGroup(reason=reason, key=key, users=[people[pk] for pk in members])
            for key, members in rows
        ],
        following,
    )
