"""The terms page (Canvas's enrolment terms): training admins create and edit terms through
the services; managers and power users read them (power users their organisation's and the
shared ones)."""

from enrollments import services
from enrollments.admin.catalogue import CatalogueAdmin
from lms_admin.plumbing.admin import SavedThroughServices


class TermAdmin(SavedThroughServices, CatalogueAdmin):
    list_display = ("name", "sis_term_id", "organisation", "start_at", "end_at")
    list_filter = ("organisation",)
    search_fields = ("name", "=sis_term_id")
    list_select_related = ("organisation",)
    fields = ("name", "sis_term_id", "organisation", "start_at", "end_at")

    create_service = staticmethod(services.term_create)
    update_service = staticmethod(services.term_update)
    service_fields = services.TERM_FIELDS
