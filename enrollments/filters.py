"""Filter sets for enrolment and course lists, with Canvas's parameter names.

`state[]` takes several values at once (seed 001), Canvas's synthetic states, and `all`,
which returns every state including deleted. With no `state[]`, Canvas's default applies:
active and invited enrolments.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F

from enrollments.models import EnrollmentState, EnrollmentType
from enrollments.search import course_text_matches
from users.filters import ManyChoiceFilter, SortedFilterSet, choices, invalid_choice, sort_filter
from users.selectors import user_lookup

DEFAULT_STATES = [EnrollmentState.ACTIVE, EnrollmentState.INVITED]
SYNTHETIC_STATES = {
    "all": list(EnrollmentState.values),
    "current_and_invited": DEFAULT_STATES,
    "current_and_future": DEFAULT_STATES,
    "current_future_and_restricted": DEFAULT_STATES,
    "current_and_concluded": [EnrollmentState.ACTIVE, EnrollmentState.COMPLETED],
    # Canvas states that never occur here: valid to ask for, never found.
    "creation_pending": [],
    "rejected": [],
}
STATE_VALUES = [*EnrollmentState.values, *SYNTHETIC_STATES]
COURSE_SORTS = {
    "course_name": ("name",),
    "course_code": ("code",),
    "sis_course_id": ("sis_course_id",),
    "created_at": ("created_at",),
}


class ListField(forms.Field):
    """A repeated parameter (`sis_user_id[]=a&sis_user_id[]=b`) as a list of strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if value in (None, "", []):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(item) for item in values if not isinstance(item, dict | list)]


class ListFilter(django_filters.Filter):
    field_class = ListField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{self.field_name}__in": value})


def states_for(values) -> list[str] | None:
    """The real states a `state[]` list stands for; None when it is absent."""
    if not values:
        return None
    states: set[str] = set()
    for value in values:
        states.update(SYNTHETIC_STATES.get(value, [value]))
    return sorted(states)


class EnrollmentFilter(django_filters.FilterSet):
    state = ManyChoiceFilter(
        choices=choices(STATE_VALUES),
        method="keep",
        error_messages=invalid_choice("enrollment state", STATE_VALUES),
    )
    type = ManyChoiceFilter(
        field_name="type",
        choices=choices(EnrollmentType.values),
        error_messages=invalid_choice("enrollment type", EnrollmentType.values),
    )
    role = ManyChoiceFilter(
        field_name="type",
        choices=choices(EnrollmentType.values),
        error_messages=invalid_choice("enrollment role", EnrollmentType.values),
    )
    user_id = django_filters.CharFilter(method="filter_user")
    sis_user_id = ListFilter(field_name="user__sis_user_id")
    sis_section_id = ListFilter(field_name="section__sis_section_id")
    sis_course_id = ListFilter(field_name="course__sis_course_id")

    def keep(self, queryset, name, value):
        return queryset

    def filter_user(self, queryset, name, value):
        lookup = user_lookup(self.request.user, value) if self.request else None
        if lookup is None:
            raise ValidationError(
                f"user_id {value!r} is not a user id: use a number, sis_user_id:X, "
                "sis_login_id:X or self."
            )
        return queryset.filter(**{f"user__{key}": item for key, item in lookup.items()})

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        states = states_for(self.form.cleaned_data.get("state"))
        if states is None:
            states = DEFAULT_STATES
        if set(states) != set(EnrollmentState.values):
            queryset = queryset.filter(state__in=states)
        return queryset


class CourseFilter(SortedFilterSet):
    search_term = django_filters.CharFilter(method="filter_search", min_length=2)
    sort = sort_filter(COURSE_SORTS)

    def filter_search(self, queryset, name, value):
        return queryset.filter(course_text_matches(value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        columns = COURSE_SORTS[self.form.cleaned_data.get("sort") or "course_name"]
        prefix = "-" if self.form.cleaned_data.get("order") == "desc" else ""
        return queryset.order_by(*(prefix + column for column in columns), prefix + "id")


# Canvas's term states. Terms are never deleted here, so `deleted` is valid to ask for and
# finds none; `all` is every term.
TERM_STATES = ["active", "deleted", "all"]


class TermFilter(django_filters.FilterSet):
    """Canvas's "List enrollment terms": `workflow_state[]` (active by default) and
    `term_name` (part of the name), the latest terms first."""

    workflow_state = ManyChoiceFilter(
        choices=choices(TERM_STATES),
        method="keep",
        error_messages=invalid_choice("term workflow state", TERM_STATES),
    )
    term_name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    def keep(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        states = set(self.form.cleaned_data.get("workflow_state") or ["active"])
        if not states & {"active", "all"}:
            queryset = queryset.none()
        return queryset.order_by(
            F("start_at").desc(nulls_first=True), F("end_at").desc(nulls_first=True), "id"
        )
