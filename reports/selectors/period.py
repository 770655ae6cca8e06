"""The period report: what happened between two dates, counting everyone it happened to,
including people inactive or deleted now, and marking them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery

from enrollments.models import Course, Enrollment
from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope, organisation_tree_ids
from reports.selectors.analytics import end_of, start_of
from users.models import User, UserStatus

HEADERS = ("Section", "Item", "Count", "Inactive now", "Deleted now")


@dataclass
class PeriodReport:
    start: date
    end: date
    rows: list[tuple] = field(default_factory=list)

    def totals(self, section: str) -> tuple[int, int, int]:
        picked = [row for row in self.rows if row[0] == section and row[1] == "All"]
        return picked[0][2:] if picked else (0, 0, 0)


def _user_condition(prefix: str, person, filters: dict) -> Q:
    condition = Q()
    scope = organisation_scope(person)
    if scope is not EVERYTHING:
        condition &= Q(**{f"{prefix}organisation_id__in": scope})
    if filters.get("organisation"):
        tree = organisation_tree_ids(filters["organisation"].pk)
        condition &= Q(**{f"{prefix}organisation_id__in": tree})
    if filters.get("segment"):
        condition &= Q(**{f"{prefix}segment_memberships__segment": filters["segment"]})
    return condition


def _by_course(rows, section: str) -> list[tuple]:
    counts: dict[int, Counter] = {}
    for row in rows:
        counts.setdefault(row["course_id"], Counter())[row["user__status"]] += row["n"]
    names = {c.pk: f"{c.code}: {c.name}" for c in Course.objects.filter(pk__in=list(counts))}
    out, total = [], Counter()
    for course_id, by_status in sorted(counts.items(), key=lambda item: -item[1].total()):
        total.update(by_status)
        out.append(
            (
                section,
                names.get(course_id, "?"),
                by_status.total(),
                by_status[UserStatus.INACTIVE],
                by_status[UserStatus.DELETED],
            )
        )
    summary = (section, "All", total.total(), total[UserStatus.INACTIVE], total[UserStatus.DELETED])
    return [summary, *out]


def period_report(*, person, filters: dict, start: date, end: date) -> PeriodReport:
    begin, finish = start_of(start), end_of(end)
    report = PeriodReport(start, end)
    enrollments = Enrollment.objects.filter(_user_condition("user__", person, filters))
    if filters.get("course"):
        enrollments = enrollments.filter(course=filters["course"])
    # Enrolments made, then completions: those whose date falls in the period.
    for when, section in (("created_at", "Enrolments made"), ("completed_at", "Completions")):
        in_period = (
            enrollments.filter(**{f"{when}__gte": begin, f"{when}__lt": finish})
            .order_by()
            .values("course_id", "user__status")
            .annotate(n=Count("id", distinct=True))
        )
        report.rows += _by_course(in_period, section)

    earlier = User.history.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    previous_status = earlier.order_by("-history_date", "-history_id").values("status")[:1]
    status_now = User.objects.filter(pk=OuterRef("id")).values("status")[:1]
    people = User.objects.filter(_user_condition("", person, filters)).values("id")
    transitions = (
        User.history.filter(
            status=UserStatus.INACTIVE,
            history_date__gte=begin,
            history_date__lt=finish,
            id__in=people,
        )
        .annotate(before=Subquery(previous_status), now=Subquery(status_now))
        .filter(Q(before__isnull=True) | ~Q(before=UserStatus.INACTIVE))
    )
    counts = Counter()
    for row in transitions.order_by().values("now").annotate(n=Count("history_id")):
        counts[row["now"]] += row["n"]
    report.rows.append(
        (
            "Deactivations",
            "All",
            counts.total(),
            counts[UserStatus.INACTIVE],
            counts[UserStatus.DELETED],
        )
    )
    return report
