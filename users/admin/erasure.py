"""Erasure pages: "Erase personal data" on the user card and row menu (a typed second
confirmation), the organisation purge (type the organisation's name), and the retention
policies with a preview of who the next run anonymises.

Power users erase their own organisation's plain accounts; purge is for training admins
only. Out of scope reads as nonexistent (404), as everywhere in the admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from lms_admin.plumbing.admin import ScopedAdmin, reason_from
from lms_admin.plumbing.counting import capped_count, count_label
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import (
    POWER_USER,
    TRAINING_ADMIN,
    manage_refusal,
    may_manage,
    role_of,
)
from users import services
from users.models import Organisation, RetentionPolicy, User
from users.selectors.retention import retention_preview

# What the admin types to confirm an erasure: one clear word, the same for everyone.
ERASE_WORD = "ERASE"


def _render(admin, request, template, context):
    return TemplateResponse(
        request,
        f"admin/users/{template}",
        {**admin.admin_site.each_context(request), **context},
    )


def may_erase(actor, user) -> bool:
    """Training admins, and power users for their own organisation's plain accounts."""
    return role_of(actor) in (TRAINING_ADMIN, POWER_USER) and may_manage(actor, user)


def erase_view(user_admin):
    """The user card's "Erase personal data": explain, ask for a reason and the typed word."""

    def view(request, object_id):
        user = user_admin.get_queryset(request).filter(pk=object_id).first()
        if user is None:
            raise Http404("No such user, or they belong to another organisation.")
        if not may_erase(request.user, user):
            raise PermissionDenied(
                manage_refusal(request.user, user)
                or "Only a training admin or a power user "
                "of their organisation can erase a person's data."
            )
        context = {
            "title": f"Erase the personal data of {user.get_full_name()}?",
            "subject": user,
            "opts": User._meta,
            "erase_word": ERASE_WORD,
            "pseudonym": services.pseudonym_label(user.pk),
        }
        if request.method == "POST":
            typed = (request.POST.get("confirmation") or "").strip()
            if typed.upper() != ERASE_WORD:
                context["error"] = f"Type {ERASE_WORD} in the box to confirm. Nothing was erased."
            else:
                try:
                    receipt = services.user_anonymise(
                        user,
                        by=request.user,
                        reason=reason_from(request, "Erasure request"),
                    )
                except DomainError as error:
                    context["error"] = str(error)
                else:
                    messages.success(
                        request,
                        f"Personal data erased: this person is now {receipt.pseudonym}. "
                        "The erasure receipt is on their card.",
                    )
                    return redirect(reverse("admin:users_user_change", args=[user.pk]))
        return _render(user_admin, request, "user/confirm_erase.html", context)

    return view


def purge_view(organisation_admin):
    def view(request, object_id):
        organisation = organisation_admin.get_queryset(request).filter(pk=object_id).first()
        if organisation is None:
            raise Http404("No such organisation.")
        if role_of(request.user) != TRAINING_ADMIN:
            raise PermissionDenied("Only a training admin can purge an organisation.")
        context = {
            "title": f"Purge the people of {organisation.name}?",
            "subject": organisation,
            "opts": Organisation._meta,
            "people": count_label(capped_count(User.objects.filter(organisation=organisation))),
        }
        if request.method == "POST":
            typed = (request.POST.get("confirmation") or "").strip()
            if typed != organisation.name:
                context["error"] = (
                    f"Type the organisation's name, {organisation.name}, exactly to confirm. "
                    "Nothing was purged."
                )
            else:
                try:
                    receipt = services.organisation_purge(
                        organisation,
                        by=request.user,
                        reason=reason_from(request, "Client relationship closed"),
                    )
                except DomainError as error:
                    context["error"] = str(error)
                else:
                    messages.success(
                        request,
                        f"{receipt.people:,} people of {organisation.name} and everything "
                        f"about them were removed (erasure receipt {receipt.pk}).",
                    )
                    return redirect(
                        reverse("admin:users_organisation_change", args=[organisation.pk])
                    )
        return _render(organisation_admin, request, "organisation/confirm_purge.html", context)

    return view


class RetentionPolicyAdmin(ScopedAdmin):
    """Per-organisation retention; the list shows who the next run will anonymise."""

    list_display = ("organisation", "enabled", "inactive_years", "deleted_days")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    change_list_template = "admin/users/retentionpolicy/change_list.html"

    def has_add_permission(self, request):
        return role_of(request.user) == TRAINING_ADMIN and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return role_of(request.user) == TRAINING_ADMIN and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.retention_policy_save(
            obj.organisation,
            by=request.user,
            reason=reason_from(request, "Retention policy changed in the admin"),
            enabled=obj.enabled,
            inactive_years=obj.inactive_years,
            deleted_days=obj.deleted_days,
        )

    def changelist_view(self, request, extra_context=None):
        preview = retention_preview(request.user)
        context = {
            "retention_preview": preview["first"],
            "retention_count": count_label(preview["count"]),
            "defaults": (
                RetentionPolicy.DEFAULT_INACTIVE_YEARS,
                RetentionPolicy.DEFAULT_DELETED_DAYS,
            ),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)


def erasure_urls(user_admin) -> list:
    wrap = user_admin.admin_site.admin_view
    return [
        path("<path:object_id>/erase/", wrap(erase_view(user_admin)), name="users_user_erase"),
    ]


def purge_urls(organisation_admin) -> list:
    wrap = organisation_admin.admin_site.admin_view
    return [
        path(
            "<path:object_id>/purge/",
            wrap(purge_view(organisation_admin)),
            name="users_organisation_purge",
        ),
    ]
