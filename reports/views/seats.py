"""The seats and credits report: per organisation, seats used and remaining, and the ledger
of who used what and when (credits spent and added), exportable like every report."""

from __future__ import annotations

from enrollments.selectors import seat_entries, seats_remaining, seats_used
from reports.exports import Source
from reports.filters import SeatsFilterSet
from reports.views.base import ReportView

HEADERS = ("When", "What", "Username", "Name", "Course", "Credits", "Credits after", "By", "Why")
PAGE_ROWS = 200


def _row(entry) -> tuple:
    person = entry.user
    return (
        entry.created_at,
        entry.get_kind_display(),
        person.username if person else "",
        person.get_full_name() if person else "",
        entry.course.name if entry.course else "",
        entry.credits,
        entry.balance_after,
        entry.created_by.username if entry.created_by else "",
        entry.reason,
    )


class SeatsView(ReportView):
    filterset_class = SeatsFilterSet
    template_name = "reports/seats.html"
    title = "Seats and credits"
    report = "seats-and-credits"

    def report_context(self, request, cleaned, filterset):
        organisation = cleaned.get("organisation")
        if organisation is None:
            return {"can_export": False}
        entries = seat_entries(request.user, organisation)
        return {
            "organisation": organisation,
            "used": seats_used(organisation),
            "remaining": seats_remaining(organisation),
            "rows": [_row(entry) for entry in entries[:PAGE_ROWS]],
            "headers": HEADERS,
            "page_rows": PAGE_ROWS,
            "entries": entries,
        }

    def export_source(self, request, filterset, context):
        entries = context["entries"]
        source = Source(HEADERS, lambda: (_row(entry) for entry in entries.iterator(2000)))
        return source, context["organisation"].slug
