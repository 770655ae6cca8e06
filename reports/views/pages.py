"""The four report pages. Each asks the selectors once; page and export share the result."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from lms_admin.plumbing.counting import REPORT_COUNT_CAP
from lms_admin.plumbing.cursors import MOMENT, NUMBER, decode_cursor, encode_cursor
from reports import charts
from reports.exports import Source
from reports.filters import (
    AnalyticsFilterSet,
    ArchivedFilterSet,
    AsOfFilterSet,
    ChangeLogFilterSet,
)
from reports.selectors import archived, changes, period
from reports.selectors.analytics import Figures
from reports.selectors.figures import analytics, analytics_as_of
from reports.views.base import TABS, ReportView
from users.models import User


def _figure_charts(figures: Figures) -> dict:
    return {
        "chart_states": charts.bar_chart(figures.by_state, title="Enrolments by state"),
        "chart_organisations": charts.bar_chart(
            figures.by_organisation, title="Active users by organisation"
        ),
        "chart_sign_ins": charts.line_chart(
            [(day.strftime("%d %b"), n) for day, n in figures.sign_ins],
            title="Sign-ins per day",
        ),
        "chart_new_users": charts.line_chart(
            [(month.strftime("%b %Y"), n) for month, n in figures.new_users],
            title="New users per month",
        ),
    }


def _filter_detail(cleaned: dict) -> str:
    parts = [str(cleaned[key]) for key in ("organisation", "segment") if cleaned.get(key)]
    if cleaned.get("course"):
        parts.append(cleaned["course"].code)
    return "-".join(parts)


class AnalyticsView(ReportView):
    filterset_class = AnalyticsFilterSet
    template_name = "reports/analytics.html"
    title = "Analytics"
    report = "analytics"

    def report_context(self, request, cleaned, filterset):
        figures = analytics(person=request.user, filters=cleaned)
        return {"figures": figures, **_figure_charts(figures)}

    def export_source(self, request, filterset, context):
        source = Source(Figures.HEADERS, context["figures"].rows)
        return source, _filter_detail(filterset.cleaned)


class ArchivedView(ReportView):
    filterset_class = ArchivedFilterSet
    template_name = "reports/archived.html"
    title = "Archived: inactive users"
    report = "inactive-users"

    def report_context(self, request, cleaned, filterset):
        if request.GET.get("export") or self.kwargs.get("fmt"):
            return {}
        page = archived.archived_page(filterset, request.GET.get("cursor", ""))
        rows = []
        for person in page.items:
            person_rows = list(person.rows())
            for index, row in enumerate(person_rows):
                rows.append(
                    {"person": person, "cells": row, "first": index == 0, "span": len(person_rows)}
                )
        return {
            "page": page,
            "rows": rows,
            "headers": archived.HEADERS,
            "next_cursor": page.next_cursor,
        }

    def export_source(self, request, filterset, context):
        return archived.archived_export(filterset), _filter_detail(filterset.cleaned)


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"


HISTORY_TABLES = {"figures": "figures-as-of", "period": "period-report"}


class HistoryView(ReportView):
    """The figures as of a day, a period report, or both, each with its own downloads:
    `table=figures|period` says which table a file holds when both are on the page."""

    filterset_class = AsOfFilterSet
    template_name = "reports/history.html"
    title = "Reports as of a date"
    report = "figures-as-of"

    def report_context(self, request, cleaned, filterset):
        context = {"yesterday": timezone.localdate() - timedelta(days=1)}
        start, end, as_of = (
            cleaned.get("period_from"),
            cleaned.get("period_to"),
            cleaned.get("as_of"),
        )
        if bool(start) != bool(end):
            missing = "period_to" if start else "period_from"
            filterset.form.add_error(missing, "Give both ends of the period.")
            return {"can_export": False}
        shown = [name for name, given in (("figures", as_of), ("period", start)) if given]
        exporting = bool(request.GET.get("export") or self.kwargs.get("fmt"))
        table = request.GET.get("table", "") if exporting else ""
        if table and table not in HISTORY_TABLES:
            context["export_error"] = f"There is no {table!r} table here. Choose figures or period."
        elif table and table not in shown:
            context["export_error"] = (
                "Choose a day to download the figures as of that day."
                if table == "figures"
                else "Choose both ends of a period to download its report."
            )
        chosen = table if table in shown else (shown[0] if shown else None)
        # A download computes only its own table; the page computes every table it shows.
        wanted = {chosen} if exporting and chosen and "export_error" not in context else shown
        if "period" in wanted:
            context["period"] = period.period_report(
                person=request.user, filters=cleaned, start=start, end=end
            )
        if "figures" in wanted:
            figures = analytics_as_of(person=request.user, filters=cleaned, day=as_of)
            context.update({"figures": figures, **_figure_charts(figures)})
        if chosen:
            context.update(export_table=chosen, report_name=HISTORY_TABLES[chosen])
        else:
            context["can_export"] = False
        return context

    def export_groups(self, context):
        if "figures" in context and "period" in context:
            as_of = context["filterset"].form.cleaned_data["as_of"]
            report = context["period"]
            return [
                ("figures", f"Download the figures as of {_day(as_of)}:"),
                (
                    "period",
                    f"Download the period report ({_day(report.start)} to {_day(report.end)}):",
                ),
            ]
        return super().export_groups(context)

    def export_source(self, request, filterset, context):
        cleaned = filterset.cleaned
        if context["export_table"] == "figures":
            detail = f"{cleaned['as_of']:%Y-%m-%d} {_filter_detail(cleaned)}"
            return Source(Figures.HEADERS, context["figures"].rows), detail
        report = context["period"]
        detail = f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} {_filter_detail(cleaned)}"
        return Source(period.HEADERS, lambda: iter(report.rows)), detail


# A change log cursor: the last row's time, its table's place in the order, its history id.
CHANGE_CURSOR = (MOMENT, NUMBER, NUMBER)


class ChangesView(ReportView):
    filterset_class = ChangeLogFilterSet
    template_name = "reports/changes.html"
    title = "Change log"
    report = "change-log"

    def base_queryset(self, request):
        return User.objects.none()

    def report_context(self, request, cleaned, filterset):
        if request.GET.get("export") or self.kwargs.get("fmt"):
            return {}
        cursor = decode_cursor(request.GET.get("cursor", ""), CHANGE_CURSOR)
        page, next_cursor = changes.change_page(person=request.user, filters=cleaned, cursor=cursor)
        total = changes.change_count(person=request.user, filters=cleaned, cap=REPORT_COUNT_CAP)
        return {
            "changes": page,
            "total": min(total, REPORT_COUNT_CAP),
            "total_capped": total > REPORT_COUNT_CAP,
            "next_cursor": encode_cursor(*next_cursor) if next_cursor else None,
        }

    def export_source(self, request, filterset, context):
        source = changes.change_export(person=request.user, filters=filterset.cleaned)
        detail = "-".join(
            str(filterset.cleaned[key])
            for key in ("actor", "object_type", "action")
            if filterset.cleaned.get(key)
        )
        return source, detail


BLURBS = (
    "Today's figures for active users: headcount, enrolments, completions, sign-ins and "
    "new users, with charts.",
    "People who are inactive, with their whole training history and how they left. "
    "Download it as the Inactive users file.",
    "The same figures as they stood at the end of any past day, and what happened "
    "between two dates.",
    "Every change to every record: when, who, what and why.",
    "Each organisation's seats and credits: used, remaining, by whom and when. Nothing "
    "used comes back when people are deactivated or deleted.",
)


class IndexView(ReportView):
    template_name = "reports/index.html"
    title = "Reports"

    def get(self, request, fmt=None):
        cards = [
            (reverse(name), label, blurb) for (name, label), blurb in zip(TABS, BLURBS, strict=True)
        ]
        context = {
            **admin.site.each_context(request),
            "title": self.title,
            "cards": cards,
            "tabs": [(reverse(name), label, False) for name, label in TABS],
        }
        return render(request, self.template_name, context)
