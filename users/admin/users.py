"""Admin pages for organisations and users; every change goes through services.

Segments are in admin_segments, the list's rows in admin_changelist, one-user pages in
admin_views and bulk actions in admin_bulk.
"""

import re

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from lms_admin.plumbing.admin import MarkedForDeletionFilter, ScopedAdmin, reason_from, scoped
from lms_admin.plumbing.counting import CappedPaginator, capped_count, count_label
from lms_admin.plumbing.scoping import (
    MANAGER,
    manageable_users,
    may_manage,
    restricted_to_plain_accounts,
    role_of,
)
from lms_admin.plumbing.stale import StaleEdit, edit_version
from users import services
from users.admin.bulk import BulkActions, bulk_action_names
from users.admin.changelist import (
    PAGE_SIZES,
    UserChangeList,
    active_switch,
    esc,
    page_constant,
    row_menu,
    searches_known,
    status_badge,
)
from users.admin.erasure import erasure_urls, may_erase
from users.admin.filters import (
    DateJoinedFilter,
    LastSignInFilter,
    OrganisationFilter,
    RoleFilter,
    SegmentFilter,
    StatusTabFilter,
)
from users.admin.marks import MARK_ACTIONS, DeletionMarkActions
from users.admin.sign_in import unlock_sign_in_view
from users.admin.user_pages import UserPages
from users.models import SegmentMembership, User, UserStatus
from users.search import users_matching
from users.selectors.card import (
    user_changes,
    user_erasure_receipt,
    user_status_timeline,
    user_training_history,
)

ACCESS_FORM_FIELDS = ("is_staff", "is_superuser", "groups")


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


BREAK_AFTER = re.compile(r"([@._-])")


def breakable(text: str):
    """Text that may wrap after "@", ".", "_" and "-" (long usernames and email addresses)."""
    return SafeString(BREAK_AFTER.sub(r"\1<wbr>", esc(text)))


class UserAdmin(DeletionMarkActions, BulkActions, ScopedAdmin):
    # Few, narrow columns, so that the switch, last sign-in and the row menu fit at 1280px
    # beside the navigation and the filters: name, username and SIS ID share a column, the
    # switch sits in the status column, and long names and email addresses wrap.
    list_display = (
        "person",
        "email_address",
        "organisation",
        "status_and_switch",
        "last_login_date",
        "row_menu",
    )
    list_display_links = ("person",)
    # What list_display reads of a person (UserChangeList fetches only these).
    list_row_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "sis_user_id",
        "status",
        "last_login",
        "marked_for_deletion_at",
        "anonymised_at",
        "organisation__name",
    )
    list_filter = (
        StatusTabFilter,
        OrganisationFilter,
        SegmentFilter,
        RoleFilter,
        LastSignInFilter,
        DateJoinedFilter,
        MarkedForDeletionFilter,
    )
    # Partial SIS ID matches too (a trigram index serves it on PostgreSQL); exact SIS ID,
    # email and username matches come first (UserChangeList.get_ordering).
    search_fields = ("username", "first_name", "last_name", "email", "sis_user_id")
    search_help_text = (
        "Name, username, email or SIS ID, or part of one. Exact SIS ID and email matches "
        "come first."
    )
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
        if not restricted_to_plain_accounts(request.user):
            sets.append(("Admin access", {"fields": ACCESS_FORM_FIELDS}))
        return sets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PowerUserCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def get_search_results(self, request, queryset, search_term):
        # search_fields, matched through one trigram index (users/search.py).
        known = searches_known(request)
        # The list's filters without the search: a large search pages through them itself
        # (UserChangeList._large_search).
        request._users_unsearched = scoped(queryset, request.user)
        return scoped(users_matching(queryset, search_term, known=known), request.user), False

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
                "<path:object_id>/unlock-sign-in/",
                wrap(unlock_sign_in_view(self)),
                name="users_user_unlock_sign_in",
            ),
            path(
                "credentials/<str:key>.csv",
                wrap(pages.credentials_csv),
                name="users_user_credentials",
            ),
            *erasure_urls(self),
            *super().get_urls(),
        ]

    # Who may do what: one place for the pages, the rows and the actions ------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        # Records are never removed from the database here: deletion is a status (see actions).
        return False

    def has_lifecycle_delete_permission(self, request, obj=None):
        allowed = request.user.has_perm("users.delete_user") and role_of(request.user) != MANAGER
        return allowed and (obj is None or may_manage(request.user, obj))

    def action_checkbox(self, obj):
        # No tick box on a row the person may not change (a power user and an admin account).
        if not getattr(obj, "row_may_change", True):
            return ""
        # What Django's CheckboxInput renders, without a template render for every row.
        label = page_constant(
            "checkbox label", lambda: _("Select this object for an action - {}")
        ).format(esc(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" value="{obj.pk}" '
            f'class="action-select" aria-label="{label}">'
        )

    def response_action(self, request, queryset):
        """Actions reach only the accounts the person may change: ticking another (which the
        page does not offer) is refused; "all matching" leaves them out, and says so."""
        allowed = manageable_users(queryset, request.user)
        if allowed is not queryset:
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            across = request.POST.get("select_across") == "1"
            if selected and not across:
                refused = queryset.filter(pk__in=selected).exclude(pk__in=allowed.values("pk"))
                if refused.exists():
                    raise PermissionDenied(
                        "Only a training admin can change accounts with admin access."
                    )
            elif across and "confirm" not in request.POST:
                left_out = capped_count(queryset.exclude(pk__in=allowed.values("pk")))
                if left_out:
                    self.message_user(
                        request,
                        f"{count_label(left_out)} matching people have admin access and are "
                        "left out: only a training admin can change them.",
                        messages.WARNING,
                    )
        return super().response_action(request, allowed)

    # Columns -------------------------------------------------------------------------------

    # The row cells are built with f-strings and `esc` (see admin_changelist): the same HTML
    # as format_html, at a fraction of the cost for 200 rows.

    @admin.display(description="Person", ordering="username")
    def person(self, obj):
        sis = (
            f'<span class="person-sis" title="SIS user ID">SIS {breakable(obj.sis_user_id)}</span>'
            if obj.sis_user_id
            else ""
        )
        return SafeString(
            f'<span class="person-name">{esc(obj.get_full_name())}</span>'
            f'<span class="person-username">{breakable(obj.username)}</span>{sis}'
        )

    @admin.display(description="Email", ordering="email")
    def email_address(self, obj):
        if not obj.email:
            return "—"
        return SafeString(f'<span class="email">{breakable(obj.email)}</span>')

    @admin.display(description="Last sign-in", ordering="last_login")
    def last_login_date(self, obj):
        if obj.last_login is None:
            return "Never"
        zone = page_constant("time zone", timezone.get_current_timezone)
        return timezone.localtime(obj.last_login, zone).strftime("%d %b %Y")

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        badge = page_constant(
            ("status badge", obj.status),
            lambda: status_badge(obj.status, obj.get_status_display()),
        )
        if obj.marked_for_deletion_at is None:
            return badge
        return format_html(
            '{} <span class="status-badge marked" title="Marked for deletion on {}">'
            "to be deleted</span>",
            badge,
            timezone.localtime(obj.marked_for_deletion_at).strftime("%d %b %Y"),
        )

    @admin.display(description="Status", ordering="status")
    def status_and_switch(self, obj):
        return SafeString(
            f'<span class="status-cell">{esc(active_switch(obj))}{esc(self.status_label(obj))}'
            "</span>"
        )

    @admin.display(description="")
    def row_menu(self, obj):
        return row_menu(obj)

    # Pages ---------------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if hasattr(response, "context_data") and "cl" in response.context_data:
            self._add_list_context(request, response.context_data)
        return response

    def _add_list_context(self, request, context):
        changelist = context["cl"]
        counts = getattr(changelist, "tab_counts", {})
        current = request.GET.get("status") or UserStatus.ACTIVE
        params = request.GET.copy()
        params.pop("p", None)
        tabs = []
        for value, label in [*UserStatus.choices, (StatusTabFilter.ALL, "All")]:
            params["status"] = value
            count = counts.get(value, 0)
            tabs.append(
                {
                    "label": label,
                    "status": value,
                    "url": "?" + params.urlencode(),
                    # None: a large search counts the current tab only.
                    "count": "" if count is None else count_label(count),
                    "current": value == current,
                }
            )
        context["status_tabs"] = tabs
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
        context["page_sizes"] = choices
        context["result_label"] = count_label(changelist.result_count)
        paginator = getattr(changelist, "paginator", None)
        if paginator is not None and paginator.is_capped:
            # Beyond the cap the count is not known: never show the cap + 1 as a number.
            context["select_all_label"] = f"Select all matching users (more than {paginator.cap:,})"
            context["selection_note_all"] = (
                f"All matching users selected (more than {paginator.cap:,})"
            )
        else:
            context["select_all_label"] = f"Select all {changelist.result_count:,} users"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        may_change = self.has_change_permission(request, user)
        context = {
            "subject": user,
            "card_switch": user and active_switch(user, may_change=may_change),
            "status_timeline": user_status_timeline(user),
            "training_history": user_training_history(user),
            "changes": user_changes(user),
            "memberships": user.segment_memberships.select_related("segment"),
            "can_change": may_change,
            "can_delete_user": self.has_lifecycle_delete_permission(request, user),
            "erasure_receipt": user_erasure_receipt(user),
            "can_erase": may_erase(request.user, user) and user.anonymised_at is None,
            # What the form was loaded from; a save compares it with the latest history row.
            "version": request.POST.get("expected_version") or edit_version(user),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleEdit as stale:
            self.message_user(request, stale.message, messages.ERROR)
            return redirect(request.path)

    def save_model(self, request, obj, form, change):
        """Creation, profile edits and admin access go through the services (history with
        actor and reason, scoping, the last training admin kept)."""
        by = request.user
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
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        groups = changes.pop("groups", None)
        access = groups is not None or bool(set(changes) & {"is_staff", "is_superuser"})
        profile = bool(set(changes) - {"is_staff", "is_superuser"})
        if not (profile or access):
            return
        default = {
            (True, False): "Profile changed in the admin",
            (False, True): "Admin access changed in the admin",
            (True, True): "Profile and admin access changed in the admin",
        }[(profile, access)]
        services.user_update(
            User.objects.get(pk=obj.pk),
            by=by,
            reason=reason_from(request, default),
            groups=groups,
            # What the form was loaded from: the service refuses if someone changed it since.
            expected_version=request.POST.get("expected_version"),
            **changes,
        )

    def save_related(self, request, form, formsets, change):
        # Roles were saved by the service in save_model, with the rest of the change; Django
        # saving the form's many-to-many fields here would bypass it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    class Media:
        css = {"all": ["users/users.css"]}
        js = ["users/toggle.js"]
