"""Admin pages for organisations, users and segments; every change goes through services."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, Value, When
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from users import services
from users.admin_bulk import BulkActions, bulk_action_names
from users.admin_filters import (
    DateJoinedFilter,
    LastSignInFilter,
    OrganisationFilter,
    RoleFilter,
    SegmentFilter,
    StatusTabFilter,
)
from users.admin_marks import MARK_ACTIONS, DeletionMarkActions, MarkedForDeletionFilter
from users.admin_scoping import ScopedAdmin, reason_from
from users.admin_views import UserPages
from users.card_selectors import user_changes, user_status_timeline, user_training_history
from users.counting import CappedPaginator, capped_counts, count_label
from users.exceptions import DomainError
from users.models import Organisation, Segment, SegmentMembership, User, UserStatus
from users.scoping import MANAGER, POWER_USER, organisation_scope, role_of

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


PAGE_SIZES = (25, 50, 100, 200)


class UserChangeList(ChangeList):
    """The users list, with the Active / Inactive / Deleted / All tab counts worked out from
    the same filters and search, in one capped query, and a page size people can choose."""

    def __init__(self, request, *args, **kwargs):
        chosen = request.GET.get("per_page", "")
        self.page_sizes = PAGE_SIZES
        if chosen.isdigit() and int(chosen) in PAGE_SIZES:
            # ModelAdmin passes list_per_page as the eighth positional argument after request.
            args = list(args)
            args[7] = int(chosen)
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop("per_page", None)
        return lookup_params

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if exclude_parameters is None:
            base = super().get_queryset(request, exclude_parameters=["status"])
            tabs = {status: base.filter(status=status) for status in UserStatus.values}
            tabs[StatusTabFilter.ALL] = base
            self.tab_counts = capped_counts(tabs)
            request._users_tab_counts = self.tab_counts
        return queryset

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        term = self.query.strip()
        if term:
            # Exact SIS ID, email and username matches first.
            exact = Q(sis_user_id=term) | Q(email__iexact=term) | Q(username__iexact=term)
            return [Case(When(exact, then=Value(0)), default=Value(1)).asc(), *ordering]
        return ordering


@admin.register(User)
class UserAdmin(DeletionMarkActions, BulkActions, ScopedAdmin):
    list_display = (
        "username",
        "full_name",
        "email",
        "sis_user_id",
        "organisation",
        "status_label",
        "active_switch",
        "last_login",
        "row_menu",
    )
    list_display_links = ("username",)
    list_filter = (
        StatusTabFilter,
        OrganisationFilter,
        SegmentFilter,
        RoleFilter,
        LastSignInFilter,
        DateJoinedFilter,
        MarkedForDeletionFilter,
    )
    search_fields = ("username", "first_name", "last_name", "email", "=sis_user_id")
    search_help_text = "Name, username, email or SIS ID. Exact SIS ID and email matches come first."
    list_select_related = ("organisation",)
    ordering = ("username",)
    paginator = CappedPaginator
    readonly_fields = (
        "status_label",
        "status_changed_at",
        "anonymised_at",
        "must_change_password",
        "last_login",
        "date_joined",
    )
    inlines = [SegmentMembershipInline]
    actions = [*bulk_action_names(), *MARK_ACTIONS]
    change_list_template = "admin/users/user/change_list.html"
    change_form_template = "admin/users/user/change_form.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ("username", "password1", "password2")}),
                ("Profile", {"fields": ("email", "first_name", "last_name", "sis_user_id")}),
                ("Organisation", {"fields": ("organisation",)}),
            ]
        sets = [
            (
                "Profile",
                {"fields": ("username", "email", "first_name", "last_name", "sis_user_id")},
            ),
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

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        counts = getattr(request, "_users_tab_counts", None) or {}
        status = request.GET.get("status") or UserStatus.ACTIVE
        return CappedPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            known_count=counts.get(status),
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        pages = UserPages(self)
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/toggle/", wrap(pages.toggle), name="users_user_toggle"),
            path(
                "<path:object_id>/reset-password/",
                wrap(pages.reset_password),
                name="users_user_reset_password",
            ),
            path(
                "<path:object_id>/lifecycle-delete/", wrap(pages.delete), name="users_user_remove"
            ),
            path("<path:object_id>/undelete/", wrap(pages.undelete), name="users_user_undelete"),
            path(
                "<path:object_id>/revert/<int:history_id>/",
                wrap(pages.revert),
                name="users_user_revert",
            ),
            path(
                "credentials/<str:key>.csv",
                wrap(pages.credentials_csv),
                name="users_user_credentials",
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request, obj=None):
        # Records are never removed from the database here: deletion is a status (see actions).
        return False

    def has_lifecycle_delete_permission(self, request):
        return request.user.has_perm("users.delete_user") and role_of(request.user) != MANAGER

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        badge = status_badge(obj.status, obj.get_status_display())
        if obj.marked_for_deletion_at is None:
            return badge
        return format_html(
            '{} <span class="status-badge marked" title="Marked for deletion on {}">'
            "to be deleted</span>",
            badge,
            timezone.localtime(obj.marked_for_deletion_at).strftime("%d %b %Y"),
        )

    @admin.display(description="Active")
    def active_switch(self, obj):
        if obj.status == UserStatus.DELETED:
            return ""
        on = obj.status == UserStatus.ACTIVE
        return format_html(
            '<a class="lifecycle-switch" role="switch" aria-checked="{}" aria-label="Active: {}" '
            'href="{}" data-url="{}" data-name="{}" data-status="{}" '
            'data-email="{}"><span class="track"><span class="thumb"></span></span></a>',
            "true" if on else "false",
            obj.username,
            reverse("admin:users_user_toggle", args=[obj.pk]),
            reverse("admin:users_user_toggle", args=[obj.pk]),
            obj.get_full_name(),
            obj.status,
            "yes" if obj.email else "",
        )

    @admin.display(description="")
    def row_menu(self, obj):
        links = [
            ("View/Edit user details", reverse("admin:users_user_change", args=[obj.pk])),
            ("History", reverse("admin:users_user_history", args=[obj.pk])),
        ]
        if obj.status == UserStatus.ACTIVE:
            links.append(
                ("Reset password", reverse("admin:users_user_reset_password", args=[obj.pk]))
            )
        if obj.status == UserStatus.DELETED:
            links.append(("Undelete", reverse("admin:users_user_undelete", args=[obj.pk])))
        else:
            links.append(("Delete", reverse("admin:users_user_remove", args=[obj.pk])))
        items = format_html_join("", '<li><a href="{}">{}</a></li>', ((u, t) for t, u in links))
        return format_html(
            '<details class="row-menu"><summary aria-label="Actions for {}">⋯</summary>'
            "<ul>{}</ul></details>",
            obj.username,
            items,
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if hasattr(response, "context_data") and "cl" in response.context_data:
            changelist = response.context_data["cl"]
            counts = getattr(changelist, "tab_counts", {})
            current = request.GET.get("status") or UserStatus.ACTIVE
            params = request.GET.copy()
            params.pop("p", None)
            tabs = []
            for value, label in [*UserStatus.choices, (StatusTabFilter.ALL, "All")]:
                params["status"] = value
                tabs.append(
                    {
                        "label": label,
                        "url": "?" + params.urlencode(),
                        "count": count_label(counts.get(value, 0)),
                        "current": value == current,
                    }
                )
            response.context_data["status_tabs"] = tabs
            sizes = request.GET.copy()
            sizes.pop("p", None)
            choices = []
            for size in PAGE_SIZES:
                sizes["per_page"] = str(size)
                choices.append(
                    {
                        "size": size,
                        "url": "?" + sizes.urlencode(),
                        "current": size == changelist.list_per_page,
                    }
                )
            response.context_data["page_sizes"] = choices
            response.context_data["result_label"] = count_label(changelist.result_count)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        context = {
            "subject": user,
            "status_timeline": user_status_timeline(user),
            "training_history": user_training_history(user),
            "changes": user_changes(user),
            "memberships": user.segment_memberships.select_related("segment"),
            "can_change": self.has_change_permission(request, user),
            "can_delete_user": self.has_lifecycle_delete_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

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
        stale = request.POST.get("expected_status_changed_at", "")
        current = User.objects.filter(pk=obj.pk).values_list("status_changed_at", flat=True)[0]
        if stale and current and stale != current.isoformat():
            raise StaleEdit(obj)
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleEdit as stale:
            self.message_user(
                request,
                f"Someone else changed {stale.user.get_full_name()}'s status while you were "
                "editing. Nothing was saved; here is the latest version.",
                messages.ERROR,
            )
            return redirect(request.path)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(request.path)

    def save_related(self, request, form, formsets, change):
        if role_of(request.user) == POWER_USER:
            form.cleaned_data.pop("groups", None)
            form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)

    class Media:
        css = {"all": ["users/users.css"]}
        js = ["users/toggle.js"]


class StaleEdit(Exception):
    def __init__(self, user):
        super().__init__("stale edit")
        self.user = user


@admin.register(Segment)
class SegmentAdmin(ScopedAdmin):
    list_display = ("name", "organisation", "description")
    list_filter = ("organisation",)
    search_fields = ("name",)
    list_select_related = ("organisation",)
    change_form_template = "admin/users/segment/change_form.html"

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/members/",
                self.admin_site.admin_view(self.members_view),
                name="users_segment_members",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        segment = self.get_object(request, object_id)
        members = (
            User.objects.for_user(request.user)
            .filter(segment_memberships__segment=segment)
            .select_related("organisation")
            .order_by("last_name", "first_name", "id")
        )
        page = CappedPaginator(members, 100).get_page(request.GET.get("members_page"))
        context = {
            "segment": segment,
            "members_page": page,
            "can_change_members": self.has_change_permission(request, segment),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def members_view(self, request, object_id):
        """Add people (usernames or SIS IDs, one per line) or remove ticked members."""
        segment = self.get_object(request, object_id)
        if request.method != "POST":
            return redirect(reverse("admin:users_segment_change", args=[segment.pk]))
        if not self.has_change_permission(request, segment):
            raise PermissionDenied("You do not have permission to change this segment.")
        reason = reason_from(request, f"Members of {segment.name} changed in the admin")
        people = User.objects.for_user(request.user)
        if "remove" in request.POST:
            ids = [value for value in request.POST.getlist("member") if value.isdigit()]
            removed = services.segment_remove_members(
                segment, people.filter(id__in=ids), by=request.user, reason=reason
            )
            self.message_user(request, f"Removed {removed} members.", messages.SUCCESS)
        else:
            names = {line.strip() for line in request.POST.get("people", "").splitlines()}
            names.discard("")
            found = people.filter(Q(username__in=names) | Q(sis_user_id__in=names))
            known = set(found.values_list("username", flat=True)) | set(
                found.exclude(sis_user_id=None).values_list("sis_user_id", flat=True)
            )
            added = services.segment_add_members(segment, found, by=request.user, reason=reason)
            self.message_user(request, f"Added {added} members.", messages.SUCCESS)
            unknown = sorted(names - known)
            if unknown:
                self.message_user(
                    request,
                    f"Not found (or not yours to manage): {', '.join(unknown[:20])}"
                    + (" …" if len(unknown) > 20 else ""),
                    messages.WARNING,
                )
        return redirect(reverse("admin:users_segment_change", args=[segment.pk]))

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


from users import admin_tokens  # noqa: E402, F401
