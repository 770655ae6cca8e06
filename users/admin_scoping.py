"""The admin side of scoping: every list, object page, history page and choice list.

A power user asking for an object outside their organisation gets a 404, exactly as if it
did not exist, so ids cannot be probed.
"""

from django.contrib.admin.utils import unquote
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from users.scoping import MANAGER, role_of


def scoped(queryset, user):
    if hasattr(queryset, "for_user"):
        return queryset.for_user(user)
    return queryset


class ScopedAdmin(SimpleHistoryAdmin):
    """Base for every model admin: scoped querysets and choices, 404 outside the scope."""

    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record, or it belongs to another organisation.")
        return obj

    def _require_in_scope(self, request, object_id):
        pk_name = self.model._meta.pk.attname
        if not self.get_queryset(request).filter(**{pk_name: unquote(object_id)}).exists():
            raise Http404("No such record, or it belongs to another organisation.")

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request.user)
        return field

    def _is_manager(self, request) -> bool:
        return role_of(request.user) == MANAGER

    def has_add_permission(self, request, *args):
        return not self._is_manager(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return not self._is_manager(request) and super().has_change_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scoped(queryset, request.user), may_have_duplicates


def reason_from(request, default: str) -> str:
    """The reason an admin typed, or a plain description of where the change came from."""
    typed = (request.POST.get("reason") or "").strip()
    return typed or default
