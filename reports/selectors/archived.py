"""The Archived report: inactive users with their whole training history and how they left."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db.models import Prefetch, QuerySet

from enrollments.models import Certificate, Enrollment
from lms_admin.plumbing.bulk import is_postgresql
from lms_admin.plumbing.counting import REPORT_COUNT_CAP, capped_count
from lms_admin.plumbing.cursors import MOMENT_OR_NONE, NUMBER, decode_cursor, encode_cursor
from reports.exports import Source
from reports.selectors.archived_sql import archived_query
from reports.selectors.paging import Page, after
from users.models import User, UserStatus

PAGE_SIZE = 50
EXPORT_CHUNK = 2000

HEADERS = (
    "Username",
    "Name",
    "Email",
    "SIS user ID",
    "Organisation",
    "Deactivated on",
    "Deactivated by",
    "Reason",
    "Course code",
    "Course",
    "Enrolment state",
    "Enrolled on",
    "Completed on",
    "Score",
    "Certificate",
)


@dataclass
class Departure:
    at: object = None
    by: str = ""
    reason: str = ""
    actor: User | None = None  # who `by` names; None for the system or an unknown actor


@dataclass
class ArchivedUser:
    user: User
    departure: Departure
    enrollments: list = field(default_factory=list)

    def rows(self) -> Iterator[tuple]:
        """One row per enrolment (one row if none): the screen's rows and the file's."""
        user = self.user
        head = (
            user.username,
            user.get_full_name(),
            user.email,
            user.sis_user_id or "",
            user.organisation.name if user.organisation_id else "",
            self.departure.at,
            self.departure.by,
            self.departure.reason,
        )
        if not self.enrollments:
            yield head + ("",) * 7
        for enrollment in self.enrollments:
            certificates = ", ".join(c.verification_code for c in enrollment.certificates.all())
            yield head + (
                enrollment.course.code,
                enrollment.course.name,
                enrollment.get_state_display(),
                enrollment.created_at,
                enrollment.completed_at,
                enrollment.score,
                certificates,
            )


def archived_users(filterset) -> QuerySet:
    """The filtered inactive users, newest departures first (the FilterSet applies the rest)."""
    return filterset.qs.select_related("organisation").order_by("-status_changed_at", "-id")


def _departures(users: list[User]) -> dict[int, Departure]:
    """How each user became inactive: the first history row at or after their status change.

    One query for the whole batch, in place of a subquery per row.
    """
    if not users:
        return {}
    since = {user.pk: user.status_changed_at for user in users}
    history = (
        User.history.filter(id__in=list(since), status=UserStatus.INACTIVE)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
        .only(
            "id",
            "history_date",
            "history_change_reason",
            "history_user__id",
            "history_user__username",
            "history_user__first_name",
            "history_user__last_name",
        )
    )
    found: dict[int, Departure] = {}
    for row in history:
        changed_at = since.get(row.id)
        if row.id in found or (changed_at and row.history_date < changed_at):
            continue
        actor = row.history_user.get_full_name() if row.history_user else "System"
        found[row.id] = Departure(
            row.history_date, actor, row.history_change_reason or "", row.history_user
        )
    for user in users:
        found.setdefault(user.pk, Departure(user.status_changed_at, "", ""))
    return found


def with_history(users: list[User]) -> list[ArchivedUser]:
    """Each user with their departure and every enrolment: a fixed number of queries."""
    departures = _departures(users)
    enrollments: dict[int, list] = {}
    rows = (
        Enrollment.objects.filter(user_id__in=[user.pk for user in users])
        .select_related("course")
        .prefetch_related(Prefetch("certificates", queryset=Certificate.objects.order_by("id")))
        .order_by("user_id", "created_at", "id")
    )
    for enrollment in rows:
        enrollments.setdefault(enrollment.user_id, []).append(enrollment)
    return [ArchivedUser(u, departures[u.pk], enrollments.get(u.pk, [])) for u in users]


def archived_page(filterset, cursor: str = "") -> Page:
    users = archived_users(filterset)
    total = capped_count(users, REPORT_COUNT_CAP)
    position = decode_cursor(cursor, (MOMENT_OR_NONE, NUMBER))
    if position:
        users = users.filter(after("status_changed_at", "id", position))
    batch = list(users[: PAGE_SIZE + 1])
    more = len(batch) > PAGE_SIZE
    batch = batch[:PAGE_SIZE]
    next_cursor = encode_cursor(batch[-1].status_changed_at, batch[-1].pk) if more else None
    return Page(
        with_history(batch), next_cursor, min(total, REPORT_COUNT_CAP), total > REPORT_COUNT_CAP
    )


def archived_export(filterset, *, limit: int | None = None) -> Source:
    """The report's file, read only as it is written, in constant memory: the download's
    and the benchmark's. `limit` keeps only the first rows (for the benchmark).

    PostgreSQL builds the rows in one query (`archived_sql`), and writes a CSV file
    itself; elsewhere they are built here from the models, in batches of users.
    """
    if is_postgresql():
        query = archived_query(archived_users(filterset), columns=len(HEADERS), limit=limit)
        return Source.from_query(HEADERS, query)
    return Source(HEADERS, lambda: islice(_archived_rows_from_models(filterset), limit))


def archived_rows(filterset) -> Iterator[tuple]:
    """Every row of the report as the file's cells, streamed."""
    return iter(archived_export(filterset).rows())


def _archived_rows_from_models(filterset) -> Iterator[tuple]:
    users = archived_users(filterset)
    batch: list[User] = []
    for user in users.iterator(chunk_size=EXPORT_CHUNK):
        batch.append(user)
        if len(batch) == EXPORT_CHUNK // 4:
            for archived in with_history(batch):
                yield from archived.rows()
            batch = []
    for archived in with_history(batch):
        yield from archived.rows()
