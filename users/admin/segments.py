"""Admin pages for segments and their members; every change goes through services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse

from lms_admin.plumbing.admin import SavedThroughServices, ScopedAdmin, reason_from
from lms_admin.plumbing.counting import CappedPaginator
from users import services
from users.admin.changelist import status_badge
from users.models import Segment, SegmentMembership, User, UserStatus


class SegmentAdmin(SavedThroughServices, ScopedAdmin):
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

    # The services refuse (403) a power user's segment of another organisation.
    create_service = staticmethod(services.segment_create)
    update_service = staticmethod(services.segment_update)
    service_fields = services.SEGMENT_FIELDS


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
