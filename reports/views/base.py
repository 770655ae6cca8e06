"""What every report page shares: who may see it, the filter form, exports, paging."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from lms_admin.plumbing.scoping import MANAGER, ROLES, role_of
from reports.exports import FORMATS, export_response
from reports.models import ExportFormat
from users.models import User

TABS = (
    ("reports:analytics", "Analytics"),
    ("reports:archived", "Archived"),
    ("reports:history", "As of a date"),
    ("reports:changes", "Change log"),
    ("reports:seats", "Seats and credits"),
)
# Query parameters that steer the page rather than filter it: which file format, which
# page, and on a page with several tables, which table the file holds.
CONTROL_PARAMETERS = {"export", "cursor", "table"}


def may_see_reports(user) -> bool:
    return bool(getattr(user, "is_staff", False)) and role_of(user) in ROLES


class ReportView(View):
    """A read-only admin page with a FilterSet, CSV/XLSX/JSON exports and keyset paging."""

    filterset_class = None
    template_name = ""
    title = ""
    report = ""
    http_method_names = ["get", "head", "post", "put", "patch", "delete", "options"]

    def dispatch(self, request, *args, **kwargs):
        if not may_see_reports(request.user):
            raise PermissionDenied("Reports are for training admins, managers and power users.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # Reports change nothing. A manager is told "forbidden", as everywhere in the
            # admin; anyone else learns the method is simply not offered.
            if role_of(request.user) == MANAGER:
                raise PermissionDenied("Managers can read and export reports, not change them.")
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().dispatch(request, *args, **kwargs)

    def get_filterset(self, request):
        return self.filterset_class(
            data=request.GET, queryset=self.base_queryset(request), request=request
        )

    def base_queryset(self, request):
        return User.objects.for_user(request.user)

    def filter_values(self, request) -> dict:
        return {
            key: request.GET.getlist(key) if len(request.GET.getlist(key)) > 1 else value
            for key, value in request.GET.items()
            if key not in CONTROL_PARAMETERS
        }

    def query_string(self, request, **extra) -> str:
        values = self.filter_values(request)
        values.update({key: value for key, value in extra.items() if value})
        return urlencode(values, doseq=True)

    def get(self, request, fmt: str | None = None):
        filterset = self.get_filterset(request)
        requested = fmt or request.GET.get("export", "")
        export_error = ""
        if requested and requested not in FORMATS:
            export_error = f"There is no {requested!r} export. Choose CSV, Excel (XLSX) or JSON."
        context = {"filterset": filterset, "export_error": export_error}
        valid = filterset.form.is_valid() and not export_error
        if valid:
            context.update(self.report_context(request, filterset.form.cleaned_data, filterset))
            if requested and context.get("can_export", True) and not context.get("export_error"):
                source, detail = self.export_source(request, filterset, context)
                return export_response(
                    person=request.user,
                    report=context.get("report_name", self.report),
                    fmt=requested,
                    source=source,
                    filters=self.filter_values(request),
                    detail=detail,
                )
        return render(request, self.template_name, self.page_context(request, context, valid))

    def export_links(self, url_name: str, query: str, table: str = "") -> list[tuple[str, str]]:
        """(label, URL) of each download of the page, or of one of its tables."""
        if table:
            query = f"{query}&table={table}" if query else f"table={table}"
        return [
            (
                label,
                reverse(f"{url_name}-export", kwargs={"fmt": value})
                + (f"?{query}" if query else ""),
            )
            for value, label in ExportFormat.choices
        ]

    def export_groups(self, context: dict) -> list[tuple[str, str]]:
        """(table, heading) of each set of download buttons; one unnamed set by default.
        A page showing several tables offers one set per table (see `table`)."""
        return [("", "")]

    def page_context(self, request, context, valid):
        url_name = request.resolver_match.view_name.removesuffix("-export")
        base = reverse(url_name)
        query = self.query_string(request)
        context.update(
            {
                "title": self.title,
                "valid": valid,
                "tabs": [(reverse(name), label, name == url_name) for name, label in TABS],
                "exports": self.export_links(url_name, query),
                "export_groups": [
                    (heading, self.export_links(url_name, query, table))
                    for table, heading in self.export_groups(context)
                ],
                "reset_url": base,
                "query": query,
                **admin.site.each_context(request),
                "is_manager": role_of(request.user) == MANAGER,
            }
        )
        if context.get("next_cursor"):
            context["next_url"] = (
                f"{base}?{self.query_string(request, cursor=context['next_cursor'])}"
            )
        if request.GET.get("cursor"):
            context["first_url"] = f"{base}?{query}" if query else base
        return context

    def report_context(self, request, cleaned: dict, filterset) -> dict:
        raise NotImplementedError

    def export_source(self, request, filterset, context):
        """(`reports.exports.Source` of the file, detail for the file name)"""
        raise NotImplementedError
