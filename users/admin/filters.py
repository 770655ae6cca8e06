"""Filters for the users page. Every choice list is scoped to what the person may see."""

from datetime import UTC, date, datetime, time, timedelta

from django.contrib import admin, messages
from django.db.models import CharField, Q, Value
from django.utils import timezone

from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN
from users.models import Organisation, Segment, SegmentMembership, User, UserStatus


def scoped_choices(request) -> dict[str, list[tuple[str, str]]]:
    """The organisations and segments the person may see, as the filters' choices, by name.
    Read together in one query, once per request: the filters are built twice per page
    (the list and its tab counts), and on a page of a few queries each one's round trip
    is a noticeable share of its time."""
    cache = request.__dict__.get("_filter_choices")
    if cache is None:
        cache = request._filter_choices = {"organisations": [], "segments": []}
        lists = [
            scoped.order_by().values_list(Value(kind, output_field=CharField()), "pk", "name")
            for kind, scoped in (
                ("organisations", Organisation.objects.for_user(request.user)),
                ("segments", Segment.objects.for_user(request.user)),
            )
        ]
        both = lists[0].union(lists[1], all=True).order_by("name", "pk")
        for kind, pk, name in both:
            cache[kind].append((str(pk), name))
    return cache


class StatusTabFilter(admin.SimpleListFilter):
    """The Active / Inactive / Deleted / All tabs; the filter itself is shown as tabs."""

    title = "status"
    parameter_name = "status"
    template = "admin/users/empty_filter.html"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*UserStatus.choices, (self.ALL, "All")]

    def value(self):
        return super().value() or UserStatus.ACTIVE

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen == self.ALL:
            return queryset
        if chosen not in UserStatus.values:
            say_once(
                request, messages.WARNING, f"There is no status called {chosen!r}; showing Active."
            )
            chosen = UserStatus.ACTIVE
        return queryset.filter(status=chosen)

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]


def chosen_among(request, kind: str, value: str | None, label: str) -> int | None | bool:
    """The id chosen in an organisation or segment filter, if it is among the person's
    choices (`scoped_choices`); None when nothing is chosen. False for anything else (not a
    number, no longer there, or another organisation's, which read the same), after saying
    so once per page: the list then shows no one rather than quietly everyone."""
    if not value:
        return None
    if value in {pk for pk, _ in scoped_choices(request)[kind]}:
        return int(value)
    say_once(request, messages.WARNING, f"That {label} was not found; showing no one.")
    return False


def say_once(request, level: int, text: str) -> None:
    """A message about the list's filters, shown once however often the filters are built
    in one request (the list and its tab counts each build them)."""
    said = request.__dict__.setdefault("_filter_messages_said", set())
    if text not in said:
        said.add(text)
        messages.add_message(request, level, text)


class OrganisationFilter(admin.SimpleListFilter):
    title = "organisation"
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        return scoped_choices(request)["organisations"]

    def has_output(self):
        # Shown, with "All" to clear it, whenever a choice was asked for: with no choices
        # Django would leave the filter out and quietly list everyone.
        return super().has_output() or self.value() is not None

    def queryset(self, request, queryset):
        chosen = chosen_among(request, "organisations", self.value(), "organisation")
        if chosen is None:
            return queryset
        if chosen is False:
            return queryset.none()
        return queryset.filter(organisation_id=chosen)


class SegmentFilter(admin.SimpleListFilter):
    title = "segment"
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        return scoped_choices(request)["segments"]

    def has_output(self):
        # Shown, with "All" to clear it, whenever a choice was asked for: with no choices
        # Django would leave the filter out and quietly list everyone.
        return super().has_output() or self.value() is not None

    def queryset(self, request, queryset):
        chosen = chosen_among(request, "segments", self.value(), "segment")
        if chosen is None:
            return queryset
        if chosen is False:
            return queryset.none()
        members = SegmentMembership.objects.filter(segment_id=chosen).values("user_id")
        return queryset.filter(id__in=members)


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"
    LEARNER = "learner"

    def lookups(self, request, model_admin):
        return [
            (TRAINING_ADMIN, "Training admin"),
            (MANAGER, "Manager"),
            (POWER_USER, "Power user"),
            (self.LEARNER, "Learner (no admin access)"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.LEARNER:
            return queryset.filter(is_staff=False, is_superuser=False)
        if value == TRAINING_ADMIN:
            return queryset.filter(Q(is_superuser=True) | Q(id__in=_group_members(value)))
        if value in (MANAGER, POWER_USER):
            return queryset.filter(id__in=_group_members(value))
        return queryset


def _group_members(name):
    return User.groups.through.objects.filter(group__name=name).values("user_id")


class LastSignInFilter(admin.SimpleListFilter):
    title = "last sign-in"
    parameter_name = "signed_in"

    def lookups(self, request, model_admin):
        return [
            ("never", "Never signed in"),
            ("30", "More than 30 days ago"),
            ("90", "More than 90 days ago"),
            ("365", "More than a year ago"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "never":
            return queryset.filter(last_login__isnull=True)
        if value in {"30", "90", "365"}:
            return queryset.filter(last_login__lt=timezone.now() - timedelta(days=int(value)))
        return queryset


class DateJoinedFilter(admin.ListFilter):
    """Created before and/or after a date, typed into two date boxes."""

    title = "created"
    template = "admin/users/date_range_filter.html"
    parameters = ("created_after", "created_before")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        self.errors = []
        for name in self.parameters:
            raw = params.pop(name, None)
            raw = raw[-1] if isinstance(raw, list) else raw
            if not raw:
                continue
            try:
                self.values[name] = date.fromisoformat(raw)
            except ValueError:
                self.errors.append(f"“{raw}” is not a date; use the form YYYY-MM-DD.")
        after, before = self.values.get("created_after"), self.values.get("created_before")
        if after and before and after > before:
            self.errors.append("The “created after” date is later than the “created before” date.")
        for error in self.errors:
            say_once(request, messages.ERROR, error)
        self.raw = {name: request.GET.get(name, "") for name in self.parameters}

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def choices(self, changelist):
        keep = [
            (key, value)
            for key, values in changelist.params.items()
            if key not in self.parameters and key != "p"
            for value in (values if isinstance(values, list) else [values])
        ]
        return [{"raw": self.raw, "errors": self.errors, "keep": keep}]

    def queryset(self, request, queryset):
        if self.errors:
            return queryset.none()
        after, before = self.values.get("created_after"), self.values.get("created_before")
        if after and (start := start_of_local_day(after)):
            queryset = queryset.filter(date_joined__gte=start)
        if before and (end := start_of_local_day(before, days_later=1)):
            queryset = queryset.filter(date_joined__lt=end)
        return queryset


def start_of_local_day(day: date, *, days_later: int = 0) -> datetime | None:
    """Midnight at the start of `day` (plus `days_later`) in the local time zone, or None
    when that instant lies beyond what a datetime can hold (the day after 31 Dec 9999, or
    1 Jan 0001 east of Greenwich): a bound past the end of time bounds nothing."""
    try:
        moment = datetime.combine(day + timedelta(days=days_later), time.min)
        moment = moment.replace(tzinfo=timezone.get_current_timezone())
        moment.astimezone(UTC)  # the database compares in UTC
    except OverflowError:
        return None
    return moment
