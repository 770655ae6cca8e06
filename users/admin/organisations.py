"""The organisations admin page: partner organisations and their sub-organisations."""

from django.urls import path

from lms_admin.plumbing.admin import SavedThroughServices, ScopedAdmin
from lms_admin.plumbing.scoping import (
    POWER_USER,
    TRAINING_ADMIN,
    role_of,
)
from users import services


class OrganisationAdmin(SavedThroughServices, ScopedAdmin):
    change_form_template = "admin/users/organisation/change_form.html"
    list_display = ("name", "slug", "sis_account_id", "parent", "seat_limit", "credit_balance")
    fields = ("name", "slug", "sis_account_id", "parent", "contact", "seat_limit", "credit_balance")
    # Credits change only through the ledger: the "Add credits" page (users/admin/credits.py).
    readonly_fields = ("credit_balance",)
    search_fields = ("name", "slug", "sis_account_id")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def has_add_permission(self, request):
        return role_of(request.user) != POWER_USER and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return role_of(request.user) != POWER_USER and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from users.admin.credits import credits_view
        from users.admin.erasure import purge_urls

        credits = path(
            "<path:object_id>/credits/",
            self.admin_site.admin_view(credits_view(self)),
            name="users_organisation_credits",
        )
        return [*purge_urls(self), credits, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        training_admin = role_of(request.user) == TRAINING_ADMIN
        context = {
            "can_purge": training_admin,
            "can_add_credits": training_admin,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    create_service = staticmethod(services.organisation_create)
    update_service = staticmethod(services.organisation_update)
    service_fields = services.ORGANISATION_FIELDS
