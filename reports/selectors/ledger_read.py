"""The analytics figures read from the figures ledger (reports.FigureDelta).

Live figures are the sum of every delta; the figures at the end of a day the sum of the
deltas up to that day. Each figure is one grouped sum over the ledger, whose size grows
with the days and kinds of change, not with the number of people or enrolments.

The ledger is keyed by organisation, segment, course, state, and the day people joined or
signed in, so it answers the unfiltered page, an organisation, a course, a power user's
scope, and a date range's sign-ins and new people. A date range also narrows enrolments to
those made in it, which the ledger does not know: those are counted from the tables (see
reports.selectors.figures), and everything else still comes from here. A segment filter
narrows every figure to its members, so it is counted from the tables whole.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import QuerySet, Sum

from lms_admin.plumbing.scoping import EVERYTHING, organisation_tree_ids
from reports.models import FigureDelta, FigureKind
from reports.selectors.analytics import (
    NEW_USER_MONTHS,
    SIGN_IN_DAYS,
    Figures,
    _days,
    add_months,
    month_start,
    name_and_sort,
)


def ledger_answers(filters: dict) -> bool:
    return not filters.get("segment")


def narrows_enrolments_by_date(filters: dict) -> bool:
    return bool(filters.get("date_from") or filters.get("date_to"))


def _summed(deltas: QuerySet, *fields: str) -> Counter:
    """Net counts per key; keys whose deltas cancel out are not figures at all."""
    rows = deltas.order_by().values(*fields).annotate(total=Sum("n"))
    return Counter(
        {tuple(row[name] for name in fields): row["total"] for row in rows if row["total"]}
    )


def figures_from_ledger(
    *,
    scope,
    filters: dict,
    moment: datetime,
    last_day: date,
    live: bool,
    enrolments: Counter | None = None,
) -> Figures:
    """The figures at `moment`, the end of `last_day` (or now, when live). `enrolments`,
    when given, are the counts per (course, state) for a date range, counted elsewhere.

    The sign-in days and the months of new people follow the date range as the counts
    from the tables do (reports.selectors.analytics._sign_ins and _new_users)."""
    figures = Figures(moment=moment, live=live)
    deltas = FigureDelta.objects.all()
    if not live:
        deltas = deltas.filter(day__lte=last_day)
    if scope is not EVERYTHING:
        deltas = deltas.filter(organisation_id__in=scope)
    if filters.get("organisation"):
        deltas = deltas.filter(
            organisation_id__in=organisation_tree_ids(filters["organisation"].pk)
        )

    users = deltas.filter(kind=FigureKind.USERS)
    by_org = _summed(users, "organisation_id")
    figures.active_users = sum(by_org.values())
    by_segment = _summed(deltas.filter(kind=FigureKind.MEMBERS), "segment_id")
    if enrolments is None:
        counted = deltas.filter(kind=FigureKind.ENROLMENTS)
        if filters.get("course"):
            counted = counted.filter(course_id=filters["course"].pk)
        enrolments = _summed(counted, "course_id", "state")
    name_and_sort(figures, by_org, by_segment, enrolments)

    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    last = min(date_to, last_day) if date_to else last_day
    first_day = date_from or last_day - timedelta(days=SIGN_IN_DAYS - 1)
    if (last - first_day).days > 366 * 2:
        first_day = last - timedelta(days=366 * 2)
    sign_ins = _summed(
        deltas.filter(kind=FigureKind.SIGN_INS, on_day__gte=first_day, on_day__lte=last),
        "on_day",
    )
    figures.sign_ins = [(day, sign_ins.get((day,), 0)) for day in _days(first_day, last)]

    first_month = (
        month_start(date_from)
        if date_from
        else add_months(month_start(last_day), -(NEW_USER_MONTHS - 1))
    )
    joined = _summed(users.filter(on_day__gte=date_from or first_month, on_day__lte=last), "on_day")
    per_month: Counter = Counter()
    for (day,), n in joined.items():
        per_month[month_start(day)] += n
    months, month = [], first_month
    while month <= month_start(last):
        months.append((month, per_month.get(month, 0)))
        month = add_months(month, 1)
    figures.new_users = months
    return figures
