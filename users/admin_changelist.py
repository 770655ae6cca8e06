"""The users list: tab counts, page sizes, search order, and what each row offers.

Each row carries what the person looking may do with it (`row_may_change`,
`row_may_delete`), worked out in the list's own query, so the switch and the row menu only
offer what will be allowed: managers see the switch as a read-only indicator, and a power
user sees no actions on accounts with admin access.
"""

from __future__ import annotations

from django.contrib.admin.views.main import ChangeList
from django.db.models import BooleanField, Case, ExpressionWrapper, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from users.admin_filters import StatusTabFilter
from users.counting import capped_counts
from users.models import UserStatus
from users.scoping import admin_account_condition, restricted_to_plain_accounts

PAGE_SIZES = (25, 50, 100, 200)
STATUS_COLOURS = {"active": "#1a7f37", "inactive": "#9a6700", "deleted": "#cf222e"}


def status_badge(status: str, label: str):
    colour = STATUS_COLOURS.get(status, "#57606a")
    return format_html(
        '<span class="status-badge status-{}" style="color:{};font-weight:600">{}</span>',
        status,
        colour,
        label,
    )


def row_permissions(model_admin, request) -> dict:
    """Annotations saying, per row, whether the person may change or delete that account."""

    def flag(allowed: bool):
        if not allowed:
            return Value(False, output_field=BooleanField())
        if restricted_to_plain_accounts(request.user):
            return ExpressionWrapper(~admin_account_condition(), output_field=BooleanField())
        return Value(True, output_field=BooleanField())

    return {
        "row_may_change": flag(model_admin.has_change_permission(request)),
        "row_may_delete": flag(model_admin.has_lifecycle_delete_permission(request)),
    }


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
            queryset = queryset.annotate(**row_permissions(self.model_admin, request))
        return queryset

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        term = self.query.strip()
        if term:
            # Exact SIS ID, email and username matches first.
            exact = Q(sis_user_id=term) | Q(email__iexact=term) | Q(username__iexact=term)
            return [Case(When(exact, then=Value(0)), default=Value(1)).asc(), *ordering]
        return ordering


def active_switch(obj):
    if obj.status == UserStatus.DELETED:
        return ""
    on = obj.status == UserStatus.ACTIVE
    if not getattr(obj, "row_may_change", False):
        # A status indicator, not a control: nothing to click for people who may not.
        return format_html(
            '<span class="lifecycle-switch readonly" role="switch" aria-checked="{}" '
            'aria-disabled="true" aria-label="Active: {}" title="You cannot change this '
            'account"><span class="track"><span class="thumb"></span></span></span>',
            "true" if on else "false",
            obj.username,
        )
    url = reverse("admin:users_user_toggle", args=[obj.pk])
    return format_html(
        '<a class="lifecycle-switch" role="switch" aria-checked="{}" aria-label="Active: {}" '
        'href="{}" data-url="{}" data-name="{}" data-status="{}" '
        'data-email="{}"><span class="track"><span class="thumb"></span></span></a>',
        "true" if on else "false",
        obj.username,
        url,
        url,
        obj.get_full_name(),
        obj.status,
        "yes" if obj.email else "",
    )


def row_menu(obj):
    may_change = getattr(obj, "row_may_change", False)
    may_delete = getattr(obj, "row_may_delete", False)
    links = [
        (
            "View/Edit user details" if may_change else "View user details",
            reverse("admin:users_user_change", args=[obj.pk]),
        ),
        ("History", reverse("admin:users_user_history", args=[obj.pk])),
    ]
    if may_change and obj.status == UserStatus.ACTIVE:
        links.append(("Reset password", reverse("admin:users_user_reset_password", args=[obj.pk])))
    if may_delete and obj.status == UserStatus.DELETED:
        links.append(("Undelete", reverse("admin:users_user_undelete", args=[obj.pk])))
    elif may_delete:
        links.append(("Delete", reverse("admin:users_user_remove", args=[obj.pk])))
    items = format_html_join("", '<li><a href="{}">{}</a></li>', ((u, t) for t, u in links))
    return format_html(
        '<details class="row-menu"><summary aria-label="Actions for {}">⋯</summary>'
        "<ul>{}</ul></details>",
        obj.username,
        items,
    )
