"""Filter sets for user lists, shared by the API and anything else that lists users.

Parameter names follow Canvas's `GET /accounts/:id/users`; list parameters (`state[]`)
arrive here without their brackets.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from users.folding import folded_contains
from users.models import UserStatus
from users.search import candidate_ids, uses_search_table

USER_STATES = [*UserStatus.values, "all"]
SORTS = {
    # Canvas's "username" sorts by the sortable name ("Last, First"), not the login.
    "username": ("last_name", "first_name"),
    "name": ("last_name", "first_name"),
    "sortable_name": ("last_name", "first_name"),
    "login_id": ("username",),
    "email": ("email",),
    "sis_id": ("sis_user_id",),
    "last_login": ("last_login",),
    "created_at": ("date_joined",),
    "status": ("status",),
}


ORDERS = ["asc", "desc"]


def choices(values):
    return [(value, value) for value in values]


def invalid_choice(what: str, values) -> dict:
    return {
        "invalid_choice": f"%(value)s is not a valid {what}. Use one of: {', '.join(values)}.",
        "invalid_list": f"Give {what} values as a list, e.g. state[]=active.",
    }


class ManyChoiceField(forms.MultipleChoiceField):
    """Several values as `state[]=a&state[]=b`, and also `state=a` or `state=a,b`."""

    def to_python(self, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return super().to_python(value)


class ManyChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = ManyChoiceField


def search_condition(term: str, *, indexed_on: str | None = None) -> Q:
    """Every word must match a name, the username, the email or the SIS id (exactly).

    With `indexed_on` (a PostgreSQL database), the users' search table finds the candidates
    through its trigram index first (see users.search); each column is then checked as
    before, on those rows only."""
    words = term.split()
    condition = Q(pk__in=candidate_ids(words, using=indexed_on)) if indexed_on and words else Q()
    for word in words:
        condition &= (
            folded_contains("first_name", word)
            | folded_contains("last_name", word)
            | folded_contains("username", word)
            | folded_contains("email", word)
            | Q(sis_user_id=word)
        )
    if term.strip().isdigit() and len(term.strip()) < 19:
        condition |= Q(pk=int(term.strip()))
    return condition


def sort_filter(sorts) -> django_filters.ChoiceFilter:
    """`sort=`: checked here, applied by the list's own ordering (see SortedFilterSet)."""
    return django_filters.ChoiceFilter(
        choices=choices(sorts), method="keep", error_messages=invalid_choice("sort", sorts)
    )


class SortedFilterSet(django_filters.FilterSet):
    """An API list's filters with Canvas's `sort=` and `order=`, which are checked like any
    filter but leave the rows as they are: the list orders them."""

    order = django_filters.ChoiceFilter(
        choices=choices(ORDERS), method="keep", error_messages=invalid_choice("order", ORDERS)
    )

    def keep(self, queryset, name, value):
        return queryset


class UserFilter(SortedFilterSet):
    search_term = django_filters.CharFilter(method="filter_search", min_length=2)
    state = ManyChoiceFilter(
        choices=choices(USER_STATES),
        method="keep",
        error_messages=invalid_choice("user state", USER_STATES),
    )
    include_deleted_users = django_filters.BooleanFilter(method="keep")
    sort = sort_filter(SORTS)

    def filter_search(self, queryset, name, value):
        indexed_on = queryset.db if uses_search_table(queryset) else None
        return queryset.filter(search_condition(value, indexed_on=indexed_on))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        states = set(data.get("state") or [])
        # Canvas leaves deleted users out unless asked; suspended (inactive) ones stay in.
        if "all" in states:
            pass
        elif states:
            if data.get("include_deleted_users"):
                states.add(UserStatus.DELETED)
            queryset = queryset.filter(status__in=states)
        elif not data.get("include_deleted_users"):
            queryset = queryset.exclude(status=UserStatus.DELETED)
        columns = SORTS[data.get("sort") or "username"]
        prefix = "-" if data.get("order") == "desc" else ""
        return queryset.order_by(*(prefix + column for column in columns), prefix + "id")
