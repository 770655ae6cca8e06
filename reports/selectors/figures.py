"""The analytics figures, live or as of the end of a day: what the report pages ask.

From the figures ledger (reports.FigureDelta, kept by the services) whenever it can
answer the filters; counted from the tables and their history otherwise (a segment or a
date range: the ledger keeps neither).
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from reports.selectors.analytics import Figures, analytics_as_of_scan, analytics_scan, end_of
from reports.selectors.ledger import figures_from_ledger, ledger_answers
from users.scoping import organisation_scope


def analytics(*, person, filters: dict) -> Figures:
    if not ledger_answers(filters):
        return analytics_scan(person=person, filters=filters)
    now = timezone.now()
    return figures_from_ledger(
        scope=organisation_scope(person),
        filters=filters,
        moment=now,
        last_day=timezone.localdate(now),
        live=True,
    )


def analytics_as_of(*, person, filters: dict, day: date) -> Figures:
    """The figures as they stood at the end of `day` (midnight at its end)."""
    if not ledger_answers(filters):
        return analytics_as_of_scan(person=person, filters=filters, day=day)
    return figures_from_ledger(
        scope=organisation_scope(person),
        filters=filters,
        moment=end_of(day),
        last_day=day,
        live=False,
    )
