"""The admin side of scoping: every list, object page, history page and choice list.

A power user asking for an object outside their organisation gets a 404, exactly as if it
did not exist, so ids cannot be probed. A POST that would change something, from someone who
may not make that change, gets a 403: a manager's bulk action, an action the person does not
have, or a change a service refuses as not theirs to make (NotPermitted).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignObjectRel
from django.http import Http404
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from lms_admin.plumbing.counting import CappedPaginator
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import MANAGER, role_of
from lms_admin.plumbing.widgets import ActionForm


def scoped(queryset, user):
    if hasattr(queryset, "for_user"):
        return queryset.for_user(user)
    return queryset


def _is_scoped_relation(field) -> bool:
    related = getattr(field, "related_model", None) if field.is_relation else None
    return related is not None and hasattr(related._default_manager.all(), "for_user")


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A filter sidebar on a relation offers only the rows the person may see.

    Django's own lists every row of the related table (`field.get_choices()`), so a power
    user's "By organisation" or "By segment" named every other organisation's. Registered
    below for every relation to a scoped model, in every admin, `list_filter = ("segment",)`
    included: no page has to remember it.
    """

    def field_choices(self, field, request, model_admin):
        related = scoped(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        related = related.order_by(*ordering) if ordering else related
        if isinstance(field, ForeignObjectRel):
            return [(row.pk, str(row)) for row in related]
        target = field.target_field.attname
        return [(getattr(row, target), str(row)) for row in related]


admin.FieldListFilter.register(
    _is_scoped_relation, ScopedRelatedFieldListFilter, take_priority=True
)


class MarkedForDeletionFilter(admin.SimpleListFilter):
    """People, enrolments, courses or sections marked "to be deleted" (a
    `marked_for_deletion_at`), to review."""

    title = "to be deleted"
    parameter_name = "to_be_deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Marked for deletion"), ("no", "Not marked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(marked_for_deletion_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(marked_for_deletion_at__isnull=True)
        return queryset


class ScopedAdmin(SimpleHistoryAdmin):
    """Base for every model admin: scoped querysets and choices, 404 outside the scope."""

    show_full_result_count = False
    list_per_page = 50
    # Lists count their rows up to a cap ("More than 10,000"): never a COUNT of a whole
    # table of millions of enrolments or history rows on a page view.
    paginator = CappedPaginator
    # Django's "Show counts" counts every choice of every filter over the whole list, with
    # no cap: on a million people that ran for minutes. The users page has its own capped
    # tab counts instead.
    show_facets = admin.ShowFacets.NEVER
    # The actions bar above the list, written in Python rather than through form templates.
    action_form = ActionForm

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

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            self._refuse_unpermitted_list_post(request)
        return super().changelist_view(request, extra_context)

    def _refuse_unpermitted_list_post(self, request):
        """Django answers an action the person does not have with 200 "No action selected";
        a POST that would change something without the permission to do so gets 403."""
        if "_save" in request.POST:
            return  # list_editable: Django checks the change permission itself
        actions = self.get_actions(request)
        action = request.POST.get("action")
        if not actions or (action and action not in actions):
            raise PermissionDenied("You do not have permission to do that.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A change the rules refuse shows its plain message and changes nothing (the admin
        wraps the save in a transaction); one that is not the person's to make is a 403."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except NotPermitted:
            raise
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(request.path)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scoped(queryset, request.user), may_have_duplicates


def reason_from(request, default: str) -> str:
    """The reason an admin typed, or a plain description of where the change came from."""
    typed = (request.POST.get("reason") or "").strip()
    return typed or default


def changed_values(form, fields) -> dict:
    """The fields among `fields` that the person changed on `form`, with their new values:
    what an admin page hands to an `<entity>_update` service."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


class SavedThroughServices:
    """An admin page whose form saves through its entity's services: changes go to
    `update_service` with the fields among `service_fields` that the person changed, new
    objects to `create_service` (with `values_to_create`, by default the form's values of
    those fields), each with the reason typed or the page's default reason."""

    create_service = None  # staticmethod(services.<entity>_create)
    update_service = None  # staticmethod(services.<entity>_update)
    service_fields: tuple = ()
    reason_for_change = "Changed in the admin"
    reason_for_creation = "Created in the admin"

    def values_to_create(self, obj, form) -> dict | None:
        return None

    def save_model(self, request, obj, form, change):
        default = self.reason_for_change if change else self.reason_for_creation
        save_through_services(
            request,
            obj,
            form,
            change,
            update=type(self).update_service,
            create=type(self).create_service,
            fields=self.service_fields,
            reason=reason_from(request, default),
            values=None if change else self.values_to_create(obj, form),
        )


def save_through_services(
    request, obj, form, change, *, update, create, fields, reason: str, values=None
) -> None:
    """An admin form's save through the one door: a change goes to the `update` service
    with the fields among `fields` that the person changed, a new object to `create` with
    `values` (by default the form's values of `fields`); then `obj` reads back what was
    saved, so the admin's messages and redirects name the stored object."""
    if change:
        update(
            type(obj).objects.get(pk=obj.pk),
            by=request.user,
            reason=reason,
            **changed_values(form, fields),
        )
    else:
        if values is None:
            values = {name: form.cleaned_data.get(name) for name in fields}
        obj.pk = create(by=request.user, reason=reason, **values).pk
    obj.refresh_from_db()
