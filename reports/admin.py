"""The reports' own records in the admin: read-only, for training admins."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

from reports.models import ExportRecord


class DateHierarchyChangeList(ChangeList):
    """Django's date hierarchy steps past 31 Dec 9999 (?started_at__year=9999) and fails
    with a 500; such a date is a bad lookup, which the admin answers with its usual notice."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
