"""The filters of every report page, shared by the page and its exports.

Each FilterSet validates the query string (dates, ranges, known choices within the
person's scope) so that bad input becomes a form error, never a 500, and the selectors
receive clean values. Choice lists are scoped: a power user cannot even name another
organisation's segment or course.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from enrollments.models import Course, SeatCreditEntry
from lms_admin.plumbing.scoping import organisation_tree_ids
from reports.selectors.changes import ACTIONS, TRACKED_MODELS
from users.models import Organisation, Segment, User, UserStatus

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
MAX_RANGE_DAYS = 3660
# The history starts with the product; earlier dates would also overflow the date arithmetic.
EARLIEST_DATE = date(1970, 1, 1)


class ReportForm(forms.Form):
    """Dates must be real, from 1970 up to today, and ranges must run forwards and span at
    most ten years; a range with no end runs to today."""

    date_pairs: tuple[tuple[str, str], ...] = ()

    def date_names(self) -> list[str]:
        """Every date field of the form, whether or not it is part of a pair."""
        return [name for name, field in self.fields.items() if isinstance(field, forms.DateField)]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        bad = set()
        for name in self.date_names():
            value = data.get(name)
            if value and value < EARLIEST_DATE:
                self.add_error(name, "Choose a date from 1 January 1970 onwards.")
                bad.add(name)
            elif value and value > today:
                self.add_error(name, f"Choose a date up to today ({today:%d %b %Y}).")
                bad.add(name)
        for start_name, end_name in self.date_pairs:
            if {start_name, end_name} & bad:
                continue
            start, end = data.get(start_name), data.get(end_name)
            if start and end and start > end:
                self.add_error(end_name, "The end date is before the start date.")
            elif start and end and (end - start).days > MAX_RANGE_DAYS:
                self.add_error(end_name, "Choose a period of at most ten years.")
            elif start and not end and (today - start).days > MAX_RANGE_DAYS:
                self.add_error(
                    start_name,
                    "With no end date the period runs to today, and a period can be at most "
                    "ten years: choose a later start or an end date.",
                )
        return data


def scoped_queryset(model):
    def queryset(request):
        if request is None:
            return model.objects.none()
        return model.objects.for_user(request.user)

    return queryset


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose choices come from `for_user(request.user)`."""

    @property
    def data_is_valid(self) -> bool:
        return self.is_bound and self.form.is_valid()

    @property
    def cleaned(self) -> dict:
        return self.form.cleaned_data if self.data_is_valid else {}

    def filter_organisation_tree(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{name}__in": organisation_tree_ids(value.pk)})

    def filter_segment(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(segment_memberships__segment=value)

    def ignore(self, queryset, name, value):
        """Read by the selectors from cleaned data rather than applied to this queryset."""
        return queryset


class AnalyticsForm(ReportForm):
    date_pairs = (("date_from", "date_to"),)


class AnalyticsFilterSet(ScopedFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(Organisation),
        field_name="organisation_id",
        method="filter_organisation_tree",
        label="Organisation",
        help_text="Includes its sub-organisations.",
    )
    segment = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(Segment), method="filter_segment", label="Segment"
    )
    course = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(Course), method="ignore", label="Course"
    )
    date_from = django_filters.DateFilter(
        method="ignore", label="From", widget=DATE_WIDGET, help_text="Enrolled, joined or signed in"
    )
    date_to = django_filters.DateFilter(method="ignore", label="To", widget=DATE_WIDGET)

    class Meta:
        model = User
        fields = ["organisation", "segment", "course", "date_from", "date_to"]
        form = AnalyticsForm


class AsOfForm(ReportForm):
    date_pairs = (("period_from", "period_to"),)


class AsOfFilterSet(AnalyticsFilterSet):
    as_of = django_filters.DateFilter(
        method="ignore",
        label="As of the end of",
        widget=DATE_WIDGET,
        help_text="The figures as they stood at midnight at the end of this day.",
    )
    period_from = django_filters.DateFilter(
        method="ignore", label="Period from", widget=DATE_WIDGET
    )
    period_to = django_filters.DateFilter(method="ignore", label="Period to", widget=DATE_WIDGET)

    class Meta:
        model = User
        fields = ["as_of", "organisation", "segment", "course", "period_from", "period_to"]
        form = AsOfForm


class ArchivedForm(ReportForm):
    date_pairs = (("deactivated_from", "deactivated_to"),)


class ArchivedFilterSet(ScopedFilterSet):
    organisation = AnalyticsFilterSet.base_filters["organisation"]
    segment = AnalyticsFilterSet.base_filters["segment"]
    deactivated_from = django_filters.DateFilter(
        field_name="status_changed_at",
        lookup_expr="date__gte",
        label="Deactivated from",
        widget=DATE_WIDGET,
    )
    deactivated_to = django_filters.DateFilter(
        field_name="status_changed_at",
        lookup_expr="date__lte",
        label="Deactivated to",
        widget=DATE_WIDGET,
    )

    class Meta:
        model = User
        fields = ["organisation", "segment", "deactivated_from", "deactivated_to"]
        form = ArchivedForm

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(status=UserStatus.INACTIVE))


def actor_queryset(request):
    """Anyone who can sign in to the admin: the people whose changes the log records."""
    if request is None:
        return User.objects.none()
    return get_user_model().objects.for_user(request.user).filter(is_staff=True)


class ChangeLogForm(ReportForm):
    date_pairs = (("date_from", "date_to"),)


class ChangeLogFilterSet(ScopedFilterSet):
    actor = django_filters.ModelChoiceFilter(
        queryset=actor_queryset, method="ignore", label="Changed by"
    )
    object_type = django_filters.ChoiceFilter(
        choices=[(key, spec.label) for key, spec in TRACKED_MODELS.items()],
        method="ignore",
        label="What",
        empty_label="Everything",
    )
    action = django_filters.ChoiceFilter(
        choices=list(ACTIONS.items()), method="ignore", label="Action", empty_label="Any"
    )
    date_from = django_filters.DateFilter(method="ignore", label="From", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(method="ignore", label="To", widget=DATE_WIDGET)

    class Meta:
        model = User
        fields = ["actor", "object_type", "action", "date_from", "date_to"]
        form = ChangeLogForm


class SeatsFilterSet(ScopedFilterSet):
    """The seats report: one organisation at a time (a power user's choices are their own)."""

    organisation = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(Organisation),
        field_name="organisation",
        label="Organisation",
    )

    class Meta:
        model = SeatCreditEntry
        fields = ["organisation"]
