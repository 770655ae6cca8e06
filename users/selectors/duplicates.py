"""Likely duplicate accounts, grouped with the reason, and the merges that can be undone.

Each reason is read page by page in the order of its own index, with a keyset (the last
group's key) rather than an offset, so the first page over a million people reads only as
many rows as it needs, and no table row to decide which groups it shows:
- email: the same email ignoring case (user_email_lower_idx, covering);
- name: the same first and last name within an organisation (user_org_names_idx);
- sis: the same SIS id pattern across organisations (settings.DUPLICATE_SIS_ID_PATTERN, a
  regular expression whose first group is the part that must match; user_dup_sis_idx,
  covering, built by migration 0022 with the pattern of the time);
- course: the same name and a shared course (user_dup_name_idx, covering, a batch of name
  groups at a time, then each person's courses through enrollment_user_covering).
With few duplicates a page still walks its whole index (it cannot know a key is alone
before reading the next): about 900,000 entries for email, read from the index alone.
Deleted and anonymised people are left out: they cannot be merged (the indexes hold only
the others, models.FINDABLE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q

from enrollments.models import Enrollment
from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope
from users.models import Merge, Organisation, User, UserStatus

REASONS = {
    "email": "Same email address (ignoring case)",
    "name": "Same first and last name in one organisation",
    "sis": "Same SIS ID pattern in different organisations",
    "course": "Same name and a shared course",
}
PAGE_SIZE = 50
# How many name groups the "shared course" reason checks per page before it stops looking.
COURSE_GROUPS_SCANNED = 2000


@dataclass(slots=True)
class DuplicatePerson:
    """What the finder shows of a person: a page can list tens of thousands of them (a
    common name in a big organisation), too many to build as User instances in time."""

    pk: int
    username: str
    first_name: str
    last_name: str
    email: str
    sis_user_id: str | None
    status: str
    anonymised_at: object
    organisation_id: int | None
    organisation_name: str

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


PERSON_COLUMNS = (
    "u.id, u.username, u.first_name, u.last_name, u.email, u.sis_user_id, u.status, "
    "u.anonymised_at, u.organisation_id, COALESCE(o.name, '')"
)


@dataclass
class DuplicateGroup:
    reason: str
    key: str
    users: list[DuplicatePerson]

    @property
    def ids(self) -> str:
        return ",".join(str(user.pk) for user in self.users)


def _scope_sql(viewer, alias="u") -> tuple[str, list]:
    scope = organisation_scope(viewer)
    if scope is EVERYTHING:
        return "", []
    ids = sorted(scope or {0})
    return f" AND {alias}.organisation_id IN ({', '.join(['%s'] * len(ids))})", ids


def _sis_key_sql() -> tuple[str, list]:
    pattern = settings.DUPLICATE_SIS_ID_PATTERN
    if connection.vendor == "postgresql":
        return "substring(u.sis_user_id from %s)", [pattern]
    _register_sqlite_function(pattern)
    return "lms_sis_key(u.sis_user_id)", []


def _register_sqlite_function(pattern: str) -> None:
    compiled = re.compile(pattern)

    def key(value):
        match = compiled.search(value or "")
        return (match.group(1) if match.groups() else match.group(0)) if match else None

    connection.ensure_connection()
    connection.connection.create_function("lms_sis_key", 1, key, deterministic=True)


def _people_filter(viewer) -> tuple[str, list]:
    """The people a group may hold: neither deleted nor anonymised, inside the viewer's
    organisations. Each of the finder's indexes has these columns in its WHERE or among
    its included columns, so they are checked without reading the table."""
    scope_sql, scope_params = _scope_sql(viewer)
    return (
        f"u.status <> %s AND u.anonymised_at IS NULL{scope_sql}",
        [UserStatus.DELETED, *scope_params],
    )


def _keyed_groups(
    viewer, *, key_sql: str, key_params: list, where: str, having: str, after: str, limit: int
) -> list[tuple[str, list[int]]]:
    """(key, ids) of up to `limit` groups whose key is after `after`, in key order.

    Two steps in one statement: the page's keys, read in the order of the index on the key
    (covering, so no table rows are read) and stopped at the page's end; then the people of
    just those keys, through the same index."""
    people_sql, people_params = _people_filter(viewer)
    table = User._meta.db_table
    sql = (
        f"WITH page AS (SELECT {key_sql} AS key FROM {table} u "
        f"WHERE {people_sql} AND {where} AND {key_sql} > %s "
        f"GROUP BY {key_sql} HAVING {having} ORDER BY {key_sql} LIMIT %s) "
        f"SELECT page.key, u.id FROM page JOIN {table} u ON {key_sql} = page.key "
        f"WHERE {people_sql} AND {where} ORDER BY page.key, u.id"
    )
    params = [*key_params, *people_params, *key_params, after, *key_params, *key_params, limit]
    params += [*key_params, *people_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _collect(cursor.fetchall())


def _collect(rows) -> list[tuple[str, list[int]]]:
    groups: list[tuple[str, list[int]]] = []
    for key, pk in rows:
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append(int(pk))
    return groups


def _grouped_ids(viewer, reason: str, after: str, limit: int) -> list[tuple[str, list[int]]]:
    """(key, ids) of up to `limit` groups after the key `after`, in key order."""
    if reason == "email":
        return _keyed_groups(
            viewer,
            key_sql="lower(u.email)",
            key_params=[],
            where="u.email <> ''",
            having="COUNT(*) > 1",
            after=after,
            limit=limit,
        )
    if reason == "sis":
        key_sql, key_params = _sis_key_sql()
        # More than one organisation (no organisation counting as one): MIN <> MAX is
        # COUNT(DISTINCT) > 1 without sorting every group.
        return _keyed_groups(
            viewer,
            key_sql=key_sql,
            key_params=key_params,
            where="u.sis_user_id IS NOT NULL",
            having="MIN(COALESCE(u.organisation_id, 0)) <> MAX(COALESCE(u.organisation_id, 0))",
            after=after,
            limit=limit,
        )
    scope_sql, scope_params = _scope_sql(viewer)
    base = (
        f"FROM {User._meta.db_table} u WHERE u.status <> %s AND u.anonymised_at IS NULL{scope_sql}"
    )
    params = [UserStatus.DELETED, *scope_params]
    if connection.vendor == "postgresql":
        ids_sql = "string_agg(u.id::text, ',' ORDER BY u.id)"
    else:
        ids_sql = "group_concat(u.id, ',')"
    key_sql = (
        "COALESCE(CAST(u.organisation_id AS TEXT), '') || '|' || u.last_name || '|' || u.first_name"
    )
    # The page after `after` in the order the groups are read (organisation by number, people
    # without one last, then name): the key's text would put organisation 10 before 2.
    after_sql, after_params = _after_name_group(after)
    group_sql = "u.organisation_id, u.last_name, u.first_name"
    return _run(
        f"SELECT {key_sql}, {ids_sql} {base} AND u.last_name <> ''{after_sql} "
        f"GROUP BY {group_sql} HAVING COUNT(*) > 1 "
        "ORDER BY u.organisation_id NULLS LAST, u.last_name, u.first_name LIMIT %s",
        [*params, *after_params, limit],
    )


def _after_name_group(after: str) -> tuple[str, list]:
    """The condition for the name groups after the key `after` ("organisation|last|first")."""
    if not after:
        return "", []
    organisation, _, name = after.partition("|")
    last, _, first = name.partition("|")
    if not organisation.isdigit():  # among the people without an organisation, the last
        return (
            " AND u.organisation_id IS NULL AND (u.last_name, u.first_name) > (%s, %s)",
            [last, first],
        )
    return (
        " AND (u.organisation_id IS NULL OR u.organisation_id > %s OR (u.organisation_id = %s "
        "AND (u.last_name, u.first_name) > (%s, %s)))",
        [int(organisation), int(organisation), last, first],
    )


def _run(sql: str, params: list) -> list[tuple[str, list[int]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(key, [int(i) for i in str(ids).split(",")]) for key, ids in cursor.fetchall()]


def _name_groups(viewer, *, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str]]:
    """The next `limit` (last name, first name) that more than one person has, after
    `after`, in name order: read in the order of user_dup_name_idx, stopped at the end."""
    people_sql, params = _people_filter(viewer)
    after_sql = ""
    if after is not None:
        after_sql, params = " AND (u.last_name, u.first_name) > (%s, %s)", [*params, *after]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.last_name, u.first_name FROM {User._meta.db_table} u "
            f"WHERE {people_sql} AND u.last_name <> ''{after_sql} "
            "GROUP BY u.last_name, u.first_name HAVING COUNT(*) > 1 "
            "ORDER BY u.last_name, u.first_name LIMIT %s",
            [*params, limit],
        )
        return cursor.fetchall()


def _sharing_a_course(
    viewer, *, after: tuple[str, str] | None, upto: tuple[str, str]
) -> list[tuple[str, list[int]]]:
    """Of the people named from after `after` up to `upto`, those who share a course with
    someone of the same name, grouped by name in name order. One read in the order of
    user_dup_name_idx (last name, first name, id), each person's courses beside them
    (enrollment_user_covering): no sort, no join to aggregate; the rest is counted here."""
    people_sql, params = _people_filter(viewer)
    after_sql = ""
    if after is not None:
        after_sql, params = " AND (u.last_name, u.first_name) > (%s, %s)", [*params, *after]
    enrolments = Enrollment._meta.db_table
    if connection.vendor == "postgresql":
        courses_sql = f"ARRAY(SELECT e.course_id FROM {enrolments} e WHERE e.user_id = u.id)"
    else:
        courses_sql = (
            f"(SELECT group_concat(e.course_id) FROM {enrolments} e WHERE e.user_id = u.id)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.last_name, u.first_name, u.id, {courses_sql} "
            f"FROM {User._meta.db_table} u WHERE {people_sql} AND u.last_name <> ''{after_sql} "
            "AND (u.last_name, u.first_name) <= (%s, %s) "
            "ORDER BY u.last_name, u.first_name, u.id",
            [*params, *upto],
        )
        rows = cursor.fetchall()
    found: list[tuple[str, list[int]]] = []
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end][:2] == rows[start][:2]:
            end += 1
        found += _people_sharing(rows[start:end])
        start = end
    return found


def _people_sharing(rows) -> list[tuple[str, list[int]]]:
    """One name's (last name, first name, id, courses): its people who share a course."""
    if len(rows) < 2:
        return []
    courses_of = {}
    for _, _, pk, courses in rows:
        if isinstance(courses, str):  # SQLite's group_concat
            courses = courses.split(",")
        courses_of[pk] = set(courses or ())
    people_in: dict = {}
    for courses in courses_of.values():
        for course in courses:
            people_in[course] = people_in.get(course, 0) + 1
    sharing = [pk for pk, courses in courses_of.items() if any(people_in[c] > 1 for c in courses)]
    if len(sharing) < 2:
        return []
    return [(f"{rows[0][0]}|{rows[0][1]}", sharing)]


def _course_page(viewer, *, after: str, page_size: int) -> tuple[list, str | None]:
    """The first `page_size` name groups after `after` where people share a course, looking
    at no more than COURSE_GROUPS_SCANNED name groups, and the key the next page starts
    after (None when no name group is left)."""
    groups: list[tuple[str, list[int]]] = []
    last, _, first = after.partition("|")
    cursor: tuple[str, str] | None = (last, first) if after else None
    scanned = 0
    while len(groups) < page_size and scanned < COURSE_GROUPS_SCANNED:
        wanted = min(page_size + 1, COURSE_GROUPS_SCANNED - scanned)
        names = _name_groups(viewer, after=cursor, limit=wanted)
        if names:
            groups += _sharing_a_course(viewer, after=cursor, upto=names[-1])
            scanned += len(names)
            cursor = names[-1]
        if len(names) < wanted:  # no name group left after these
            if len(groups) > page_size:
                return groups[:page_size], groups[page_size - 1][0]
            return groups, None
    if len(groups) > page_size:
        return groups[:page_size], groups[page_size - 1][0]
    return groups, "|".join(cursor) if cursor else None


def _people(ids: list[int]) -> dict[int, DuplicatePerson]:
    """The people `ids` as the finder shows them, with their organisation's name, in one
    query (PostgreSQL) or in chunks (SQLite's limit on parameters)."""
    sql = (
        f"SELECT {PERSON_COLUMNS} FROM {User._meta.db_table} u "
        f"LEFT JOIN {Organisation._meta.db_table} o ON o.id = u.organisation_id WHERE "
    )
    rows = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql + "u.id = ANY(%s)", [ids])
            rows = cursor.fetchall()
        else:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(sql + f"u.id IN ({', '.join(['%s'] * len(chunk))})", chunk)
                rows += cursor.fetchall()
    return {row[0]: DuplicatePerson(*row) for row in rows}


def duplicate_groups(
    viewer, *, reason: str = "email", after: str = "", page_size: int = PAGE_SIZE
) -> tuple[list[DuplicateGroup], str | None]:
    """One page of likely duplicates for `reason`, and the key to ask for the next page
    (None on the last). Power users see groups inside their organisation only."""
    if reason not in REASONS:
        reason = "email"
    if reason == "course":
        rows, following = _course_page(viewer, after=after, page_size=page_size)
    else:
        rows = _grouped_ids(viewer, reason, after, page_size + 1)
        following = rows[page_size - 1][0] if len(rows) > page_size else None
        rows = rows[:page_size]
    people = _people([pk for _, members in rows for pk in members])
    return (
        [
            DuplicateGroup(reason=reason, key=key, users=[people[pk] for pk in members])
            for key, members in rows
        ],
        following,
    )


def merges_visible(viewer):
    """Merges whose primary the viewer can see, newest first."""
    return Merge.objects.for_user(viewer).select_related("primary", "created_by")


def merges_to_split(user: User):
    """The merges into `user` that can still be undone, newest first (Canvas's split)."""
    return Merge.objects.filter(primary=user, undone_at__isnull=True).order_by("-created_at")


def visible_merge_candidates(viewer, ids: list[int]):
    """The people `ids` as the viewer may see them (out of scope reads as nonexistent)."""
    return (
        User.objects.for_user(viewer)
        .filter(Q(pk__in=ids))
        .select_related("organisation")
        .order_by("pk")
    )
