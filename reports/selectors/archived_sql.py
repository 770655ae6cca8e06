"""The Archived export on PostgreSQL: one query whose rows are the file's cells.

Same rows, in the same order, as `archived.with_history(...).rows()` put through
`lms_admin.plumbing.cells.cell`, which the tests check on tricky data. The filtered, scoped users
come from the FilterSet's own SQL, so scope and filters are applied exactly once, the same
way for page and file.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet

from enrollments.models import Certificate, Course, Enrollment, EnrollmentState
from reports.selectors.sql_export import (
    Query,
    choice_label,
    full_name,
    local_time,
    local_zone,
    plain,
)
from users.models import Organisation, User, UserStatus


def _tables() -> dict:
    return {
        "history": User.history.model._meta.db_table,
        "user": User._meta.db_table,
        "organisation": Organisation._meta.db_table,
        "enrollment": Enrollment._meta.db_table,
        "course": Course._meta.db_table,
        "certificate": Certificate._meta.db_table,
    }


# Departure: the first history row with the inactive status at or after the status change
# (as `archived._departures`); LATERAL ... LIMIT 1 reads it from the index on the history's
# user id. The person's own cells are worked out once per person in `p` (OFFSET 0 keeps
# PostgreSQL from folding them back into every enrolment row: a person has ten rows on
# average, and formatting their cells ten times was a tenth of a large file's time).
# Enrolments in (created_at, id) order, certificates joined by id order. A course's two
# cells are worked out once per course in `c` and found by a hash join: joined inside the
# enrolments' LATERAL they were an index probe and two formattings per enrolment, a tenth
# of a large file's time.
# The rows are sorted inside `f`, with the four sort keys as its first columns. Sorted at
# the top level, the keys came after the fifteen text cells in each sorted row, and every
# comparison past the first key walked the cells to find the next one (PostgreSQL's
# `nocachegetattr`, a tenth of the time): a half of the 1M file took 3.95 s, now 3.54 s.
# OFFSET 0 keeps `f` a subquery; the outer ORDER BY is the order `f` already has, so it
# sorts nothing again, and says the order for anyone reading the query.
QUERY = """
SELECT
    f.username, f.name, f.email, f.sis, f.organisation,
    f.deactivated_on, f.deactivated_by, f.reason,
    f.course_code, f.course_name, f.state, f.enrolled_on, f.completed_on, f.score, f.certificates
FROM (
SELECT
    u.status_changed_at AS departed, u.id AS person, e.created_at AS enrolled, e.id AS enrolment,
    p.username, p.name, p.email, p.sis, p.organisation,
    p.deactivated_on, p.deactivated_by, p.reason,
    COALESCE(c.code_cell, '') AS course_code, COALESCE(c.name_cell, '') AS course_name,
    {state} AS state, {enrolled_on} AS enrolled_on, {completed_on} AS completed_on,
    e.score, {certificates} AS certificates
FROM ({users}) AS u
LEFT JOIN {organisation_table} o ON o.id = u.organisation_id
LEFT JOIN LATERAL (
    SELECT h.history_date, h.history_user_id, h.history_change_reason
    FROM {history_table} h
    WHERE h.id = u.id AND h.status = %s
      AND (u.status_changed_at IS NULL OR h.history_date >= u.status_changed_at)
    ORDER BY h.history_date, h.history_id
    LIMIT 1
) d ON TRUE
LEFT JOIN {user_table} actor ON actor.id = d.history_user_id
CROSS JOIN LATERAL (
    SELECT {username} AS username, {name} AS name, {email} AS email, {sis} AS sis,
           {organisation} AS organisation, {deactivated_on} AS deactivated_on,
           {deactivated_by} AS deactivated_by, {reason} AS reason
    OFFSET 0
) p
LEFT JOIN LATERAL (
    SELECT e.id, e.state, e.created_at, e.completed_at, e.score, e.course_id
    FROM {enrollment_table} e
    WHERE e.user_id = u.id
) e ON TRUE
LEFT JOIN (
    SELECT c.id, {course_code} AS code_cell, {course_name} AS name_cell
    FROM {course_table} c
    OFFSET 0
) c ON c.id = e.course_id
LEFT JOIN LATERAL (
    SELECT string_agg(cert.verification_code, ', ' ORDER BY cert.id) AS codes
    FROM {certificate_table} cert
    WHERE cert.enrollment_id = e.id
) certs ON e.id IS NOT NULL
ORDER BY departed DESC, person DESC, enrolled, enrolment
OFFSET 0
) AS f
ORDER BY f.departed DESC, f.person DESC, f.enrolled, f.enrolment
"""

# The file's people in its order, for a file written in parts (`Query.people`).
PEOPLE = "SELECT u.id FROM ({users}) AS u ORDER BY u.status_changed_at DESC, u.id DESC"

# The people of one part (`Query.part`), read in id order; the rows are sorted into the
# file's order at the end in any case. People's rows, enrolments, history and certificates
# lie on disk roughly in id order, so read in that order, from a cold cache, each read
# runs ahead of the next: a half of the 1M file took 8.3 s instead of 17 s. PostgreSQL
# read them in descending id order otherwise, which the operating system does not read
# ahead. The same time when everything is in memory.
PART_PEOPLE = (
    "SELECT * FROM ({users}) AS part_people WHERE part_people.id = ANY(%s) "
    "ORDER BY part_people.id OFFSET 0"
)


def _users_sql(users) -> tuple[str, tuple]:
    """The FilterSet's users as SQL, with the columns the rows need."""
    columns = users.order_by().values(
        "id",
        "username",
        "first_name",
        "last_name",
        "email",
        "sis_user_id",
        "organisation_id",
        "status_changed_at",
    )
    return columns.query.sql_with_params()


def archived_query(users, *, columns: int, limit: int | None = None) -> Query | None:
    """The query of the file's rows for these users (already filtered, scoped, inactive);
    None if there can be none."""
    try:
        users_sql, users_params = _users_sql(users)
    except EmptyResultSet:
        return None
    zone = local_zone()
    state_labels = choice_label("e.state", EnrollmentState.choices)
    cells = dict(
        users=users_sql,
        username=plain("u.username"),
        name=plain(full_name("u")),
        email=plain("u.email"),
        sis=plain("u.sis_user_id"),
        organisation=plain("o.name"),
        deactivated_on=local_time("COALESCE(d.history_date, u.status_changed_at)"),
        deactivated_by=plain(
            f"CASE WHEN d.history_date IS NULL THEN '' "
            f"WHEN actor.id IS NULL THEN 'System' ELSE {full_name('actor')} END"
        ),
        reason=plain("d.history_change_reason"),
        course_code=plain("c.code"),
        course_name=plain("c.name"),
        # A state's label is one of the code's own labels (the column is checked against
        # the states), never a formula: nothing to neutralise; empty without an enrolment.
        state=f"COALESCE({state_labels}, '')",
        enrolled_on=local_time("e.created_at"),
        completed_on=local_time("e.completed_at"),
        certificates=plain("certs.codes"),
        organisation_table=_tables()["organisation"],
        history_table=_tables()["history"],
        user_table=_tables()["user"],
        enrollment_table=_tables()["enrollment"],
        course_table=_tables()["course"],
        certificate_table=_tables()["certificate"],
    )
    # Placeholders in the order they appear: the zone in the select list (twice), the
    # users' own parameters (and a part's ids), the departure's status, then the zone of
    # the departure time.
    part_sql = QUERY.format(**{**cells, "users": PART_PEOPLE.format(users=users_sql)})

    def part(ids: list) -> tuple[str, tuple]:
        return part_sql, (zone, zone, *users_params, ids, UserStatus.INACTIVE, zone)

    return Query(
        QUERY.format(**cells),
        (zone, zone, *users_params, UserStatus.INACTIVE, zone),
        columns,
        limit,
        people=(PEOPLE.format(users=users_sql), users_params),
        part=part,
    )
