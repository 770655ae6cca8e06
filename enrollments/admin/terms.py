"""The terms page (Canvas's enrolment terms): training admins create and edit terms through
the services; managers and power users read them (power users their organisation's and the
shared ones)."""

from enrollments import services
from enrollments.admin.catalogue import CatalogueAdmin
from lms_admin.plumbing.admin import reason_from, save_through_services


class TermAdmin(CatalogueAdmin):
    list_display = ("name", "sis_term_id", "organisation", "start_at", "end_at")
    list_filter = ("organisation",)
    search_fields = ("name", "=sis_term_id")
    list_select_related = ("organisation",)
    fields = ("name", "sis_term_id", "organisation", "start_at", "end_at")

    def save_model(self, request, obj, form, change):
        reason = reason_from(request, "Changed in the admin" if change else "Created in the admin")
        save_through_services(
            request,
            obj,
            form,
            change,
            update=services.term_update,
            create=services.term_create,
            fields=services.TERM_FIELDS,
            reason=reason,
        )
