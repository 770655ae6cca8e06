"""Our own file formats for people and segment memberships (django-import-export).

These columns are what exports write and what imports read back: exporting and then
importing the same file changes nothing. Organisations are written as their SIS account
ID, or their short name (slug) when they have none.
"""

from import_export import fields, resources, widgets

from lms_admin.plumbing.cells import display
from users.models import SegmentMembership, User


def organisation_key(organisation) -> str:
    if organisation is None:
        return ""
    return organisation.sis_account_id or organisation.slug


class OrganisationWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return organisation_key(value)


class UserResource(resources.ModelResource):
    organisation = fields.Field(
        attribute="organisation", column_name="organisation", widget=OrganisationWidget()
    )
    to_be_deleted = fields.Field(column_name="to_be_deleted")

    class Meta:
        model = User
        fields = (
            "username",
            "sis_user_id",
            "first_name",
            "last_name",
            "email",
            "organisation",
            "status",
            "to_be_deleted",
            "date_joined",
            "last_login",
        )
        export_order = fields

    def dehydrate_to_be_deleted(self, user):
        return display(user.marked_for_deletion_at is not None)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("organisation").order_by("id")


class SegmentMembershipResource(resources.ModelResource):
    segment = fields.Field(attribute="segment__name", column_name="segment")
    segment_organisation = fields.Field(
        attribute="segment__organisation",
        column_name="segment_organisation",
        widget=OrganisationWidget(),
    )
    user_sis_id = fields.Field(attribute="user__sis_user_id", column_name="user_sis_id")
    username = fields.Field(attribute="user__username", column_name="username")
    status = fields.Field(column_name="status")
    user_status = fields.Field(attribute="user__status", column_name="user_status")

    class Meta:
        model = SegmentMembership
        fields = (
            "segment",
            "segment_organisation",
            "user_sis_id",
            "username",
            "status",
            "added_at",
            "user_status",
        )
        export_order = fields

    def dehydrate_status(self, membership):
        return "active"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("segment__organisation", "user").order_by("id")
