"""The reports' own records in the admin, read-only: export records, and erasure receipts
with their downloads (here because the exports' writer is report code)."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import Http404, StreamingHttpResponse
from django.urls import path

from lms_admin.plumbing.admin import ScopedAdmin
from reports.exports import FORMATS, csv_stream, file_name, json_stream
from reports.models import ExportFormat, ExportRecord
from users.models import ErasureReceipt


class DateHierarchyChangeList(ChangeList):
    """Django's date hierarchy steps past 31 Dec 9999 (?started_at__year=9999) and fails
    with a 500; such a date is a bad lookup, which the admin answers with its usual notice."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class ReadOnlyRecords:
    """Records the app writes itself: shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyRecords, admin.ModelAdmin):
    list_display = ("started_at", "username", "report", "format", "rows", "file_name")
    list_filter = ("report", "format")
    search_fields = ("username", "file_name")
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in ExportRecord._meta.fields]

    def get_queryset(self, request):
        # Without scoping, the history page answered 403 for another organisation's record
        # and a redirect for a missing one: a way to tell which ids exist.
        return super().get_queryset(request).for_user(request.user)

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList


RECEIPT_HEADERS = ("table", "fields", "rows", "action")


@admin.register(ErasureReceipt)
class ErasureReceiptAdmin(ReadOnlyRecords, ScopedAdmin):
    """Erasure receipts (they hold no personal data), downloadable as CSV or JSON through
    the exports' writer, which neutralises formula-like cells."""

    list_display = ("created_at", "kind", "pseudonym", "organisation", "people", "created_by")
    list_filter = ("kind",)
    list_select_related = ("organisation", "created_by")
    readonly_fields = [field.name for field in ErasureReceipt._meta.fields]

    def get_urls(self):
        return [
            path(
                "<int:receipt_id>/download.<str:fmt>",
                self.admin_site.admin_view(self.download),
                name="users_erasurereceipt_download",
            ),
            *super().get_urls(),
        ]

    def download(self, request, receipt_id, fmt):
        if fmt not in (ExportFormat.CSV, ExportFormat.JSON):
            raise Http404("Receipts download as CSV or JSON.")
        receipt = self.get_queryset(request).filter(pk=receipt_id).first()
        if receipt is None or not self.has_view_permission(request, receipt):
            raise Http404("No such receipt, or it belongs to another organisation.")
        rows = [
            (item["table"], ", ".join(item["fields"]), item["rows"], item["action"])
            for item in receipt.touched
        ] + [(f"kept: {item['what']}", "", item["rows"], item["why"]) for item in receipt.kept]
        stream = csv_stream if fmt == ExportFormat.CSV else json_stream
        response = StreamingHttpResponse(
            stream(RECEIPT_HEADERS, rows), content_type=FORMATS[fmt].get_content_type()
        )
        name = file_name("erasure-receipt", fmt, detail=str(receipt.pk), when=receipt.created_at)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
