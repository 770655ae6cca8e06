"""Admin pages for organisations, users and segments; every change goes through services."""

from django.contrib import admin, messages
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.html import format_html

from users import services
from users.admin_scoping import ScopedAdmin, reason_from
from users.exceptions import DomainError
from users.models import Organisation, Segment, SegmentMembership, User, UserStatus
from users.scoping import POWER_USER, organisation_scope, role_of

STATUS_COLOURS = {"active": "#1a7f37", "inactive": "#9a6700", "deleted": "#cf222e"}


def status_badge(status: str, label: str):
    colour = STATUS_COLOURS.get(status, "#57606a")
    return format_html(
        '<span class="status-badge status-{}" style="color:{};font-weight:600">{}</span>',
        status,
        colour,
        label,
    )


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ("name", "slug", "sis_account_id", "parent", "seat_limit")
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

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        obj._change_reason = reason_from(
            request, "Changed in the admin" if change else "Created in the admin"
        )
        super().save_model(request, obj, form, change)


class SegmentMembershipInline(admin.TabularInline):
    model = SegmentMembership
    extra = 0
    fields = ("segment", "added_at")
    readonly_fields = ("segment", "added_at")
    can_delete = False
    show_change_link = False
    verbose_name_plural = "Segments"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("segment")


class PowerUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "sis_user_id", "organisation")


@admin.register(User)
class UserAdmin(ScopedAdmin):
    list_display = (
        "username",
        "full_name",
        "email",
        "sis_user_id",
        "organisation",
        "status_label",
        "last_login",
    )
    list_filter = ("status", "organisation")
    search_fields = ("username", "first_name", "last_name", "email", "=sis_user_id")
    list_select_related = ("organisation",)
    ordering = ("username",)
    readonly_fields = (
        "status_label",
        "status_changed_at",
        "anonymised_at",
        "must_change_password",
        "last_login",
        "date_joined",
    )
    inlines = [SegmentMembershipInline]
    actions = ["deactivate_selected", "reactivate_selected", "delete_users", "undelete_users"]

    profile_fields = ("username", "email", "first_name", "last_name", "sis_user_id")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ("username", "password1", "password2")}),
                ("Profile", {"fields": ("email", "first_name", "last_name", "sis_user_id")}),
                ("Organisation", {"fields": ("organisation",)}),
            ]
        sets = [
            (None, {"fields": ("username", "status_label", "status_changed_at")}),
            ("Profile", {"fields": ("email", "first_name", "last_name", "sis_user_id")}),
            ("Organisation", {"fields": ("organisation",)}),
            ("Sign-in", {"fields": ("last_login", "date_joined", "must_change_password")}),
        ]
        if role_of(request.user) != POWER_USER:
            sets.append(("Admin access", {"fields": ("is_staff", "is_superuser", "groups")}))
        return sets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PowerUserCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Records are never removed from the database here: deletion is a status (see actions).
        return False

    def has_lifecycle_delete_permission(self, request):
        return request.user.has_perm("users.delete_user") and role_of(request.user) != "Manager"

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    def save_model(self, request, obj, form, change):
        """Creation and profile edits go through the services (history, reason, scoping)."""
        by = request.user
        if role_of(by) == POWER_USER:
            scope = organisation_scope(by)
            if obj.organisation_id not in scope:
                raise PermissionDenied("You can only manage users of your own organisation.")
        if not change:
            created = services.user_create(
                username=obj.username,
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
                sis_user_id=obj.sis_user_id,
                organisation=obj.organisation,
                password=form.cleaned_data.get("password1"),
                by=by,
                reason=reason_from(request, "Created in the admin"),
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "groups"}
        if role_of(by) == POWER_USER and {"is_staff", "is_superuser"} & set(changes):
            raise PermissionDenied("Power users cannot change admin access.")
        if changes:
            services.user_update(
                User.objects.get(pk=obj.pk),
                by=by,
                reason=reason_from(request, "Profile changed in the admin"),
                **changes,
            )

    def save_related(self, request, form, formsets, change):
        if role_of(request.user) == POWER_USER:
            form.cleaned_data.pop("groups", None)
            form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)

    def _run_bulk(self, request, queryset, action, verb: str):
        try:
            with transaction.atomic():
                outcome = action(
                    queryset,
                    by=request.user,
                    reason=reason_from(request, f"{verb} in the admin"),
                )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        note = (
            f" {outcome.skipped} were already so or cannot be changed." if outcome.skipped else ""
        )
        self.message_user(request, f"{verb}: {outcome.changed} users.{note}", messages.SUCCESS)
        for credentials in outcome.credentials:
            if credentials.temporary_password:
                self.message_user(
                    request,
                    f"Temporary password for {credentials.user.username}: "
                    f"{credentials.temporary_password} (valid once, until "
                    f"{credentials.expires_at:%d %b %Y %H:%M} UTC).",
                    messages.WARNING,
                )
            elif credentials.reset_link_sent_to:
                self.message_user(
                    request,
                    f"Password reset link sent to {credentials.masked_email}.",
                    messages.INFO,
                )
        return outcome

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._run_bulk(request, queryset, services.users_deactivate, "Deactivated")

    @admin.action(description="Reactivate selected users", permissions=["change"])
    def reactivate_selected(self, request, queryset):
        self._run_bulk(request, queryset, services.users_reactivate, "Reactivated")

    @admin.action(description="Delete selected users", permissions=["lifecycle_delete"])
    def delete_users(self, request, queryset):
        self._run_bulk(request, queryset, services.users_delete, "Deleted")

    @admin.action(description="Undelete selected users", permissions=["lifecycle_delete"])
    def undelete_users(self, request, queryset):
        self._run_bulk(request, queryset, services.users_undelete, "Undeleted")


@admin.register(Segment)
class SegmentAdmin(ScopedAdmin):
    list_display = ("name", "organisation", "description")
    list_filter = ("organisation",)
    search_fields = ("name",)
    list_select_related = ("organisation",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        by = request.user
        if role_of(by) == POWER_USER and obj.organisation_id not in organisation_scope(by):
            raise PermissionDenied("You can only manage segments of your own organisation.")
        obj._history_user = by
        obj._change_reason = reason_from(
            request, "Changed in the admin" if change else "Created in the admin"
        )
        super().save_model(request, obj, form, change)


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ScopedAdmin):
    list_display = ("segment", "user", "member_status", "added_at")
    list_filter = ("segment",)
    search_fields = ("user__username", "user__last_name", "segment__name")
    list_select_related = ("segment", "user")
    autocomplete_fields = ("user",)
    actions = ["remove_selected"]

    @admin.display(description="Member status")
    def member_status(self, obj):
        return status_badge(obj.user.status, UserStatus(obj.user.status).label)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_remove_permission(self, request):
        return request.user.has_perm("users.delete_segmentmembership")

    def save_model(self, request, obj, form, change):
        by = request.user
        services.segment_add_members(
            obj.segment,
            User.objects.filter(pk=obj.user_id).for_user(by),
            by=by,
            reason=reason_from(request, "Added in the admin"),
        )
        obj.pk = SegmentMembership.objects.get(segment=obj.segment, user_id=obj.user_id).pk

    @admin.action(description="Remove selected members from their segments", permissions=["remove"])
    def remove_selected(self, request, queryset):
        removed = 0
        for segment_id in queryset.values_list("segment_id", flat=True).distinct():
            segment = Segment.objects.get(pk=segment_id)
            removed += services.segment_remove_members(
                segment,
                User.objects.filter(
                    id__in=queryset.filter(segment_id=segment_id).values("user_id")
                ),
                by=request.user,
                reason=reason_from(request, "Removed in the admin"),
            )
        self.message_user(request, f"Removed {removed} memberships.", messages.SUCCESS)
