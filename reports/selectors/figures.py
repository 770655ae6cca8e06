"""The analytics figures, live or as of the end of a day: what the report pages ask.

From the figures ledger (reports.FigureDelta, kept by the services) whenever it can
answer the filters; counted from the tables and their history otherwise (a segment, which
the ledger does not key people by). A date range's enrolments (those made in it) are
counted from the tables, the rest of its figures read from the ledger.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from lms_admin.plumbing.scoping import organisation_scope
from reports.selectors.analytics import (
    Figures,
    active_users,
    analytics_as_of_scan,
    analytics_scan,
    end_of,
    enrolments_by_course_state,
)
from reports.selectors.ledger_read import (
    figures_from_ledger,
    ledger_answers,
    narrows_enrolments_by_date,
)
from reports.selectors.sources import Source, live_source, source_as_of


def _enrolments_made_in_range(source: Source, filters: dict):
    if not narrows_enrolments_by_date(filters):
        return None
    return enrolments_by_course_state(source, active_users(source, filters), filters)


def analytics(*, person, filters: dict) -> Figures:
    if not ledger_answers(filters):
        return analytics_scan(person=person, filters=filters)
    now = timezone.now()
    scope = organisation_scope(person)
    return figures_from_ledger(
        scope=scope,
        filters=filters,
        moment=now,
        last_day=timezone.localdate(now),
        live=True,
        enrolments=_enrolments_made_in_range(live_source(scope=scope, now=now), filters),
    )


def analytics_as_of(*, person, filters: dict, day: date) -> Figures:
    """The figures as they stood at the end of `day` (midnight at its end)."""
    if not ledger_answers(filters):
        return analytics_as_of_scan(person=person, filters=filters, day=day)
    scope = organisation_scope(person)
    moment = end_of(day)
    return figures_from_ledger(
        scope=scope,
        filters=filters,
        moment=moment,
        last_day=day,
        live=False,
        enrolments=_enrolments_made_in_range(source_as_of(scope=scope, moment=moment), filters),
    )
