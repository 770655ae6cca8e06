"""The reports' own records in the admin: read-only, for training admins."""

from django.contrib import admin

from reports.models import ExportRecord


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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
