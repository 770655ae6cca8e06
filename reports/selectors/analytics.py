"""The analytics figures counted from the tables: active users only, live or as of a past
moment (see sources). Filters the figures ledger cannot answer are counted here, and the
tests compare the ledger with these counts (see reports.selectors.figures)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from enrollments.models import Course, EnrollmentState
from lms_admin.plumbing.scoping import organisation_scope, organisation_tree_ids
from reports.models import SignInEvent
from reports.selectors.sources import Source, in_any, live_source, source_as_of
from users.models import Organisation, Segment, UserStatus

SIGN_IN_DAYS = 30
NEW_USER_MONTHS = 12


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime:
    """The first instant after `day`: figures "at the end of the day" stop before it."""
    return start_of(day + timedelta(days=1))


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class CourseFigure:
    course_id: int
    label: str
    enrolments: int
    completions: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.completions / self.enrolments, 1) if self.enrolments else None


@dataclass
class Figures:
    moment: datetime
    live: bool
    active_users: int = 0
    by_organisation: list[tuple[str, int]] = field(default_factory=list)
    by_segment: list[tuple[str, int]] = field(default_factory=list)
    by_state: list[tuple[str, int]] = field(default_factory=list)
    courses: list[CourseFigure] = field(default_factory=list)
    sign_ins: list[tuple[date, int]] = field(default_factory=list)
    new_users: list[tuple[date, int]] = field(default_factory=list)

    @property
    def sign_in_total(self) -> int:
        return sum(n for _, n in self.sign_ins)

    @property
    def new_user_total(self) -> int:
        return sum(n for _, n in self.new_users)

    HEADERS = ("Section", "Item", "Count", "Out of", "Rate %")

    def rows(self):
        """The figures as one table: what the page shows and every export contains."""
        yield ("Active users", "All active users", self.active_users, None, None)
        for name, n in self.by_organisation:
            yield ("Active users by organisation", name, n, None, None)
        for name, n in self.by_segment:
            yield ("Active users by segment", name, n, None, None)
        for name, n in self.by_state:
            yield ("Enrolments by state", name, n, None, None)
        for course in self.courses:
            yield (
                "Completions by course",
                course.label,
                course.completions,
                course.enrolments,
                course.rate,
            )
        for day, n in self.sign_ins:
            yield ("Sign-ins per day", day.isoformat(), n, None, None)
        for month, n in self.new_users:
            yield ("New users per month", month.strftime("%Y-%m"), n, None, None)


def _count_by(parts, *fields) -> Counter:
    totals: Counter = Counter()
    for part in parts:
        for row in part.order_by().values(*fields).annotate(n=Count("*")):
            totals[tuple(row[name] for name in fields)] += row["n"]
    return totals


def _names(model, ids, label=str) -> dict:
    return {obj.pk: label(obj) for obj in model.objects.filter(pk__in=[i for i in ids if i])}


def name_and_sort(
    figures: Figures, by_org: Counter, by_segment: Counter, by_course_state: Counter
) -> None:
    """Fill the head counts and enrolment figures from counts keyed by (organisation id,),
    (segment id,) and (course id, state): named, largest first."""
    names = _names(Organisation, [key[0] for key in by_org])
    figures.by_organisation = sorted(
        ((names.get(key[0], "No organisation"), n) for key, n in by_org.items()),
        key=lambda item: (-item[1], item[0]),
    )
    names = _names(Segment, [key[0] for key in by_segment])
    figures.by_segment = sorted(
        ((names.get(key[0], "(removed segment)"), n) for key, n in by_segment.items()),
        key=lambda item: (-item[1], item[0]),
    )
    states = Counter()
    per_course: dict[int, list[int]] = {}
    for (course_id, state), n in by_course_state.items():
        states[state] += n
        totals = per_course.setdefault(course_id, [0, 0])
        if state != EnrollmentState.DELETED:
            totals[0] += n
        if state == EnrollmentState.COMPLETED:
            totals[1] += n
    figures.by_state = [(label, states.get(value, 0)) for value, label in EnrollmentState.choices]
    names = _names(Course, per_course, label=lambda course: f"{course.code}: {course.name}")
    figures.courses = sorted(
        (
            CourseFigure(course_id, names.get(course_id, "?"), total, done)
            for course_id, (total, done) in per_course.items()
        ),
        key=lambda course: (-course.enrolments, course.label),
    )


def active_users(source: Source, filters: dict) -> list:
    """The people active at `source.moment`, narrowed by the organisation and segment."""
    users = [part.filter(status=UserStatus.ACTIVE) for part in source.users]
    if filters.get("organisation"):
        tree = organisation_tree_ids(filters["organisation"].pk)
        users = [part.filter(organisation_id__in=tree) for part in users]
    if filters.get("segment"):
        members = [
            part.filter(segment_id=filters["segment"].pk).values("user_id")
            for part in source.memberships
        ]
        users = [part.filter(in_any("id", members)) for part in users]
    return users


def enrolments_by_course_state(source: Source, users: list, filters: dict) -> Counter:
    """The enrolments of `users` per (course, state), narrowed by the course and by when
    they were made (the date range)."""
    active_ids = [part.values("id") for part in users]
    enrollments = [part.filter(in_any("user_id", active_ids)) for part in source.enrollments]
    if filters.get("course"):
        enrollments = [part.filter(course_id=filters["course"].pk) for part in enrollments]
    if filters.get("date_from"):
        start = start_of(filters["date_from"])
        enrollments = [part.filter(created_at__gte=start) for part in enrollments]
    if filters.get("date_to"):
        end = end_of(filters["date_to"])
        enrollments = [part.filter(created_at__lt=end) for part in enrollments]
    return _count_by(enrollments, "course_id", "state")


def compute(source: Source, filters: dict, *, today: date) -> Figures:
    """Every figure for the people active at `source.moment`, narrowed by `filters`."""
    figures = Figures(moment=source.moment, live=source.live)
    users = active_users(source, filters)
    active_ids = [part.values("id") for part in users]

    by_org = _count_by(users, "organisation_id")
    figures.active_users = sum(by_org.values())
    if filters.get("segment"):
        # Narrowed to one segment's active members, who each belong to it once: its figure
        # is theirs, with no need to count the memberships again.
        segment = filters["segment"].pk
        by_segment = Counter({(segment,): figures.active_users} if figures.active_users else {})
    else:
        memberships = [part.filter(in_any("user_id", active_ids)) for part in source.memberships]
        by_segment = _count_by(memberships, "segment_id")
    by_course_state = enrolments_by_course_state(source, users, filters)
    name_and_sort(figures, by_org, by_segment, by_course_state)

    start = start_of(filters["date_from"]) if filters.get("date_from") else None
    end = end_of(filters["date_to"]) if filters.get("date_to") else None
    figures.sign_ins = _sign_ins(active_ids, start, end, source, today)
    figures.new_users = _new_users(users, start, end, source, today)
    return figures


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _sign_ins(active_ids, start, end, source: Source, today: date):
    last_day = today if source.live else (source.moment - timedelta(seconds=1)).date()
    window_start = start or start_of(last_day - timedelta(days=SIGN_IN_DAYS - 1))
    window_end = min(end or source.moment, source.moment)
    events = SignInEvent.objects.filter(
        in_any("user_id", active_ids), at__gte=window_start, at__lt=window_end
    )
    counts = {
        row["day"]: row["n"]
        for row in events.order_by()
        .annotate(day=TruncDate("at"))
        .values("day")
        .annotate(n=Count("*"))
    }
    first = timezone.localtime(window_start).date()
    last = timezone.localtime(window_end - timedelta(microseconds=1)).date()
    if (last - first).days > 366 * 2:
        first = last - timedelta(days=366 * 2)
    return [(day, counts.get(day, 0)) for day in _days(first, last)]


def _new_users(users, start, end, source: Source, today: date):
    last_day = today if source.live else (source.moment - timedelta(seconds=1)).date()
    if start:
        first_month = month_start(timezone.localtime(start).date())
    else:
        first_month = add_months(month_start(last_day), -(NEW_USER_MONTHS - 1))
    window_start = start or start_of(first_month)
    window_end = min(end or source.moment, source.moment)
    joined = [
        part.filter(date_joined__gte=window_start, date_joined__lt=window_end) for part in users
    ]
    counts: Counter = Counter()
    for part in joined:
        for row in (
            part.order_by()
            .annotate(month=TruncMonth("date_joined"))
            .values("month")
            .annotate(n=Count("*"))
        ):
            month = row["month"]
            month = month.date() if isinstance(month, datetime) else month
            counts[month] += row["n"]
    last_month = month_start(timezone.localtime(window_end - timedelta(microseconds=1)).date())
    months, month = [], first_month
    while month <= last_month:
        months.append((month, counts.get(month, 0)))
        month = add_months(month, 1)
    return months


def analytics_scan(*, person, filters: dict) -> Figures:
    """The live figures counted from the tables themselves (see `analytics`)."""
    now = timezone.now()
    source = live_source(scope=organisation_scope(person), now=now)
    return compute(source, filters, today=timezone.localdate(now))


def analytics_as_of_scan(*, person, filters: dict, day: date) -> Figures:
    """The figures at the end of `day` counted from the history (see `analytics_as_of`)."""
    source = source_as_of(scope=organisation_scope(person), moment=end_of(day))
    return compute(source, filters, today=day)
