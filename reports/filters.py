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
from django.db.models import Q
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
    date_pairs = (("date_from", "date_to"), ("period_from", "period_to"))


class AsOfFilterSet(AnalyticsFilterSet):
    as_of = django_filters.DateFilter(
        method="ignore",
        label="As of the end of",
        widget=DATE_WIDGET,
        help_text="The figures as they stood at midnight at the end of this day.",
    )
    # Two date ranges on one form: each label says which table it belongs to.
    date_from = django_filters.DateFilter(
        method="ignore",
        label="As-of figures: counted from",
        widget=DATE_WIDGET,
        help_text="Optional. Narrows the as-of figures to enrolments made, people who joined "
        "and sign-ins from this day.",
    )
    date_to = django_filters.DateFilter(
        method="ignore",
        label="As-of figures: counted to",
        widget=DATE_WIDGET,
        help_text="Optional. …and up to the end of this day.",
    )
    period_from = django_filters.DateFilter(
        method="ignore",
        label="Period report: from",
        widget=DATE_WIDGET,
        help_text="A separate table: the enrolments made, completions and deactivations "
        "between these two days.",
    )
    period_to = django_filters.DateFilter(
        method="ignore",
        label="Period report: to",
        widget=DATE_WIDGET,
        help_text="The last day of the period, included.",
    )

    class Meta:
        model = User
        fields = [
            "as_of",
            "date_from",
            "date_to",
            "period_from",
            "period_to",
            "organisation",
            "segment",
            "course",
        ]
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


def admins_seen_by(viewer):
    """Anyone who can sign in to the admin: the people whose changes the log records."""
    if viewer is None:
        return User.objects.none()
    return get_user_model().objects.for_user(viewer).filter(is_staff=True)


def people_seen_by(viewer):
    return User.objects.for_user(viewer) if viewer is not None else User.objects.none()


NOBODY_FOUND = "No one you can see has that username, email or SIS ID."


def find_person(people, text: str):
    """The one person among `people` whose username, email or SIS ID is `text` (or whose
    id it is); None when there is none. Out of scope reads the same as nonexistent."""
    text = text.strip()
    condition = Q(username__iexact=text) | Q(email__iexact=text) | Q(sis_user_id=text)
    if text.isdigit() and len(text) < 19:
        condition |= Q(pk=int(text))
    found = list(people.filter(condition).order_by("pk")[:2])
    return found[0] if len(found) == 1 else None


class ChangeLogForm(ReportForm):
    """Typed names rather than drop-downs of every person: they are looked up within the
    viewer's scope (`viewer` is set by the FilterSet)."""

    date_pairs = (("date_from", "date_to"),)
    viewer = None

    def clean(self):
        data = super().clean()
        for name, people in (
            ("actor", admins_seen_by(self.viewer)),
            ("person", people_seen_by(self.viewer)),
        ):
            text = data.get(name)
            data[name] = find_person(people, text) if text else None
            if text and data[name] is None:
                self.add_error(name, NOBODY_FOUND)
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", "Choose what the object ID belongs to.")
        return data


class ChangeLogFilterSet(ScopedFilterSet):
    actor = django_filters.CharFilter(
        method="ignore",
        label="Changed by",
        help_text="Username, email or SIS ID of the admin who made the change.",
    )
    person = django_filters.CharFilter(
        method="ignore",
        label="About person",
        help_text="Username, email or SIS ID: their account, enrolments, certificates, "
        "segment memberships and API tokens.",
    )
    object_type = django_filters.ChoiceFilter(
        choices=[(key, spec.label) for key, spec in TRACKED_MODELS.items()],
        method="ignore",
        label="What",
        empty_label="Everything",
    )
    object_id = django_filters.NumberFilter(
        method="ignore",
        label="Object ID",
        min_value=1,
        max_value=2**63 - 1,
        help_text="One object: the number after # in the Object column.",
    )
    action = django_filters.ChoiceFilter(
        choices=list(ACTIONS.items()), method="ignore", label="Action", empty_label="Any"
    )
    date_from = django_filters.DateFilter(method="ignore", label="From", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(method="ignore", label="To", widget=DATE_WIDGET)

    class Meta:
        model = User
        fields = ["actor", "person", "object_type", "object_id", "action", "date_from", "date_to"]
        form = ChangeLogForm

    @property
    def form(self):
        form = super().form
        form.viewer = getattr(self.request, "user", None)
        return form


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
