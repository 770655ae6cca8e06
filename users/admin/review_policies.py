"""Each organisation's review policy (thresholds, cadence, reviewer, deadline, the default
when unanswered), set by training admins; power users read their own organisation's."""

from lms_admin.plumbing.admin import ScopedAdmin, reason_from
from lms_admin.plumbing.scoping import TRAINING_ADMIN, role_of
from users import services


class ReviewPolicyAdmin(ScopedAdmin):
    list_display = (
        "organisation",
        "enabled",
        "cadence",
        "never_signed_in_days",
        "no_sign_in_days",
        "deadline_days",
        "deactivate_when_unanswered",
        "next_run_on",
    )
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation", "reviewer")
    fields = (
        "organisation",
        "enabled",
        "never_signed_in_days",
        "no_sign_in_days",
        "include_marked",
        "cadence",
        "reviewer",
        "deadline_days",
        "reminder_days",
        "deactivate_when_unanswered",
        "next_run_on",
    )

    def _is_training_admin(self, request) -> bool:
        return role_of(request.user) == TRAINING_ADMIN

    def has_add_permission(self, request, *args):
        return self._is_training_admin(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._is_training_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.review_policy_save(
            obj, by=request.user, reason=reason_from(request, "Review policy changed")
        )
