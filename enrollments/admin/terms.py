"""The terms page (Canvas's enrolment terms): training admins create and edit terms through
the services; managers and power users read them (power users their organisation's and the
shared ones)."""

from enrollments import services
from enrollments.admin.catalogue import CatalogueAdmin
from enrollments.models import EnrollmentTerm
from lms_admin.plumbing.admin import changed_values, reason_from


class TermAdmin(CatalogueAdmin):
    list_display = ("name", "sis_term_id", "organisation", "start_at", "end_at")
    list_filter = ("organisation",)
    search_fields = ("name", "=sis_term_id")
    list_select_related = ("organisation",)
    fields = ("name", "sis_term_id", "organisation", "start_at", "end_at")

    def save_model(self, request, obj, form, change):
        reason = reason_from(request, "Changed in the admin" if change else "Created in the admin")
        if change:
            services.term_update(
                EnrollmentTerm.objects.get(pk=obj.pk),
                by=request.user,
                reason=reason,
                **changed_values(form, services.TERM_FIELDS),
            )
            obj.refresh_from_db()
            return
        created = services.term_create(
            **{name: form.cleaned_data.get(name) for name in services.TERM_FIELDS},
            by=request.user,
            reason=reason,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
