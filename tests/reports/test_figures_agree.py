"""Every analytics figure equals a direct count over the same data (issue 13, item 10).

The demo data is loaded through the services, the way `make run` loads it; then each
figure the analytics page, its download and the figures ledger give is counted again here
with the ORM, straight from the tables, and the two must be equal. The Users page's
"last sign-in" and the analytics' sign-ins come from the same sign-ins."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone

from enrollments.models import Course, Enrollment, EnrollmentState
from reports.models import SignInEvent
from reports.selectors.analytics import (
    NEW_USER_MONTHS,
    SIGN_IN_DAYS,
    add_months,
    analytics_scan,
    end_of,
    month_start,
)
from reports.selectors.figures import analytics, analytics_as_of
from tests.reports.helpers import content, table_rows
from users.models import SegmentMembership, User, UserStatus

URL = "/admin/reports/analytics/"


def direct_rows(people) -> set[tuple]:
    """The figures of the analytics page for `people` (a queryset of users), counted here."""
    active = people.filter(status=UserStatus.ACTIVE)
    rows = {("Active users", "All active users", active.count(), None, None)}
    for row in active.values("organisation__name").annotate(n=Count("id")):
        name = row["organisation__name"] or "No organisation"
        rows.add(("Active users by organisation", name, row["n"], None, None))
    members = SegmentMembership.objects.filter(user__in=active)
    for row in members.values("segment__name").annotate(n=Count("id")):
        rows.add(("Active users by segment", row["segment__name"], row["n"], None, None))
    enrolments = Enrollment.objects.filter(user__in=active)
    states = Counter(dict(enrolments.values_list("state").annotate(n=Count("id"))))
    for value, label in EnrollmentState.choices:
        rows.add(("Enrolments by state", label, states[value], None, None))
    for course in Course.objects.filter(enrollments__in=enrolments).distinct():
        mine = enrolments.filter(course=course)
        done = mine.filter(state=EnrollmentState.COMPLETED).count()
        total = mine.exclude(state=EnrollmentState.DELETED).count()
        rate = round(100 * done / total, 1) if total else None
        rows.add(("Completions by course", f"{course.code}: {course.name}", done, total, rate))
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(SIGN_IN_DAYS)]
    signed_in = Counter(
        timezone.localtime(moment).date()
        for moment in SignInEvent.objects.filter(user__in=active).values_list("at", flat=True)
    )
    rows |= {("Sign-ins per day", day.isoformat(), signed_in[day], None, None) for day in days}
    first_month = add_months(month_start(today), -(NEW_USER_MONTHS - 1))
    joined = Counter(
        month_start(timezone.localtime(moment).date())
        for moment in active.values_list("date_joined", flat=True)
    )
    months = [add_months(first_month, n) for n in range(NEW_USER_MONTHS)]
    rows |= {("New users per month", f"{m:%Y-%m}", joined[m], None, None) for m in months}
    return rows


def as_text(rows) -> set[tuple]:
    return {tuple("" if cell is None else str(cell) for cell in row) for row in rows}


@pytest.fixture
def demo(roles):
    call_command("seed_demo", verbosity=0)
    return User.objects.get(username="trainer"), User.objects.get(username="partner_power")


def test_each_analytics_figure_equals_a_direct_count_of_the_demo(demo, client_for):
    trainer, power = demo
    sign_ins_agree_with_last_sign_ins(trainer)
    sign_ins_as_of_a_day_agree_with_the_history(trainer)
    expected = direct_rows(User.objects.all())
    assert set(analytics(person=trainer, filters={}).rows()) == expected  # the ledger
    assert set(analytics_scan(person=trainer, filters={}).rows()) == expected  # the tables

    client = client_for(trainer)
    page = table_rows(client.get(URL).content, "figure-rows")
    # The page's own sign-in by the test client is one more sign-in: count it too.
    expected = direct_rows(User.objects.all())
    assert {tuple(row) for row in page} == as_text(expected)
    download = content(client.get(URL, {"export": "csv"})).decode("utf-8-sig")
    assert as_text(map(tuple, list(csv.reader(io.StringIO(download)))[1:])) == as_text(expected)

    # A power user's figures are their organisation's, counted the same way.
    scoped = direct_rows(User.objects.filter(organisation=power.organisation))
    assert set(analytics(person=power, filters={}).rows()) == scoped


def sign_ins_agree_with_last_sign_ins(trainer):
    """The Users page shows each person's latest sign-in; the analytics count every
    sign-in. In the demo, as in real use, each last sign-in is one of the sign-ins."""
    signed_in = User.objects.filter(last_login__isnull=False)
    assert signed_in.count() > 100
    latest = dict(SignInEvent.objects.values_list("user_id").annotate(at=Max("at")))
    assert latest == dict(signed_in.values_list("id", "last_login"))
    # So anyone active who last signed in within 30 days counts in the 30 days' sign-ins.
    since = timezone.now() - timedelta(days=SIGN_IN_DAYS - 1)
    recent = signed_in.filter(status=UserStatus.ACTIVE, last_login__gte=since).count()
    assert analytics(person=trainer, filters={}).sign_in_total >= recent > 0
    # Nobody signed in while they were inactive or deleted.
    for person in signed_in.exclude(status=UserStatus.ACTIVE):
        assert person.last_login < person.status_changed_at


def sign_ins_as_of_a_day_agree_with_the_history(trainer):
    """An as-of report counts the sign-ins of the people active at the end of that day."""
    for person in User.objects.filter(last_login__isnull=False).order_by("-last_login")[:3]:
        day = timezone.localtime(person.last_login).date()
        figures = analytics_as_of(person=trainer, filters={}, day=day)
        active_then = [
            then.pk for then in User.history.as_of(end_of(day)) if then.status == UserStatus.ACTIVE
        ]
        moments = SignInEvent.objects.filter(user__in=active_then).values_list("at", flat=True)
        direct = sum(timezone.localtime(moment).date() == day for moment in moments)
        assert dict(figures.sign_ins)[day] == direct
        if person.pk in active_then:
            assert direct >= 1
