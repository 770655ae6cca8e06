"""Deletion candidates on the users page (seed 003): people marked "to be deleted", by an
import's `to_be_deleted` column or by hand, to review and then delete, or to unmark."""

from __future__ import annotations

from django.contrib import admin, messages

from users import services
from users.admin.bulk import ReasonForm, _names


class DeletionMarkActions:
    """Mixed into UserAdmin beside BulkActions."""

    def _mark_action(self, request, queryset, *, marking: bool):
        if self._empty(request, queryset):
            return None
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            if marking:
                facts = [
                    f"{queryset.count():,} people are marked as candidates for deletion. "
                    "Nothing is deleted: filter the Users page by “to be deleted” to review "
                    "them, then delete or unmark them.",
                ]
            else:
                facts = [f"The deletion mark is taken off {queryset.count():,} people."]
            return self._bulk_page(
                request,
                queryset,
                action="mark_for_deletion" if marking else "clear_deletion_mark",
                title="Mark for deletion" if marking else "Take off the deletion mark",
                form=form,
                facts=facts,
                names=_names(queryset),
                button="Mark" if marking else "Unmark",
            )
        call = services.users_mark_for_deletion if marking else services.users_clear_deletion_mark
        default = "Marked for deletion in the admin" if marking else "Deletion mark taken off"
        outcome = self._domain(
            request,
            lambda: call(queryset, by=request.user, reason=self._reason(form, default)),
        )
        if outcome:
            verb = "Marked" if marking else "Unmarked"
            self.message_user(
                request,
                f"{verb} {outcome.changed:,} people"
                + (
                    f"; {outcome.skipped:,} were already so or are deleted."
                    if outcome.skipped
                    else "."
                ),
                messages.SUCCESS,
            )
        return None

    @admin.action(description="Mark for deletion…", permissions=["change"])
    def mark_for_deletion(self, request, queryset):
        return self._mark_action(request, queryset, marking=True)

    @admin.action(description="Take off the deletion mark…", permissions=["change"])
    def clear_deletion_mark(self, request, queryset):
        return self._mark_action(request, queryset, marking=False)


MARK_ACTIONS = ["mark_for_deletion", "clear_deletion_mark"]
