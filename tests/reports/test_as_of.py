"""A figure for a past day equals what the live analytics showed on that day."""

from decimal import Decimal

from django.test import Client

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from tests.reports.helpers import table_rows
from users import services
from users.models import User

LIVE = "/admin/reports/analytics/"
AS_OF = "/admin/reports/history/"


def live_rows(client, **filters):
    response = client.get(LIVE, filters)
    assert response.status_code == 200
    return table_rows(response.content, "figure-rows")


def test_as_of_equals_the_live_figures_of_each_past_day(
    clock, organisation, partner, admin_user, power_user
):
    clock.at(1, 9)
    admin = Client()
    admin.force_login(admin_user)
    power = Client()
    power.force_login(power_user)
    recorded = {}

    def people(*names, organisation=organisation):
        return [
            services.user_create(
                username=name, organisation=organisation, by=admin_user, reason="Joined"
            )
            for name in names
        ]

    def snapshot(day):
        clock.at(day, 23, 30)
        recorded[day] = {
            "all": live_rows(admin),
            "acme": live_rows(admin, organisation=organisation.pk),
            "segment": live_rows(admin, segment=segment.pk),
            "course": live_rows(admin, course=course.pk),
            "power": live_rows(power),
        }
        return clock.now.date()

    # Day 1: people join, enrol, a segment forms.
    clock.at(1, 10)
    ann, bob, cat = people("ann", "bob", "cat")
    (pia,) = people("pia", organisation=partner)
    course = enrollment_services.course_create(
        code="FIRE", name="Fire safety", by=admin_user, reason="New"
    )
    other = enrollment_services.course_create(
        code="GDPR", name="Data protection", by=admin_user, reason="New"
    )
    enrolment = {
        (person.username, c.code): enrollment_services.enrollment_create(
            user=person, course=c, by=admin_user, reason="Enrolled"
        )
        for person in (ann, bob, cat, pia)
        for c in (course, other)
    }
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="New"
    )
    services.segment_add_members(
        segment, User.objects.filter(username__in=["ann", "bob"]), by=admin_user, reason="Rota"
    )
    days = {1: snapshot(1)}

    # Day 2: completions, a departure, a sign-in, a learner moves organisation.
    clock.at(2, 11)
    enrollment_services.enrollment_set_state(
        enrolment["ann", "FIRE"], EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
    )
    enrollment_services.enrollment_record_progress(
        enrolment["bob", "FIRE"], score=Decimal("75"), by=admin_user, reason="Synced"
    )
    services.user_deactivate(bob, by=admin_user, reason="Left the company")
    Client().force_login(cat)
    Client().force_login(pia)
    services.user_update(cat, organisation=partner, by=admin_user, reason="Moved")
    days[2] = snapshot(2)

    # Day 3: deletion, a re-hire, withdrawal, segment change, a newcomer.
    clock.at(3, 12)
    services.user_delete(cat, by=admin_user, reason="Duplicate account")
    services.user_reactivate(bob, by=admin_user, reason="Re-hired")
    enrollment_services.enrollment_set_state(
        enrolment["pia", "GDPR"], EnrollmentState.INACTIVE, by=admin_user, reason="Withdrew"
    )
    services.segment_remove_members(
        segment, User.objects.filter(username="ann"), by=admin_user, reason="Day shift now"
    )
    people("dan")
    services.user_deactivate(ann, by=admin_user, reason="Long-term leave")
    days[3] = snapshot(3)

    # Day 5: more changes after the days we look back at; then compare.
    clock.at(5, 8)
    services.user_deactivate(pia, by=admin_user, reason="Left")
    enrollment_services.enrollment_set_state(
        enrolment["bob", "GDPR"], EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
    )
    services.user_reactivate(ann, by=admin_user, reason="Back")

    for day, date in days.items():
        filters = {
            "all": {},
            "acme": {"organisation": organisation.pk},
            "segment": {"segment": segment.pk},
            "course": {"course": course.pk},
        }
        for name, extra in filters.items():
            response = admin.get(AS_OF, {"as_of": date.isoformat(), **extra})
            assert response.status_code == 200
            assert table_rows(response.content, "figure-rows") == recorded[day][name], (day, name)
        response = power.get(AS_OF, {"as_of": date.isoformat()})
        assert table_rows(response.content, "figure-rows") == recorded[day]["power"], (day, "pu")

    # The figures really moved from day to day, so the comparison is not vacuous.
    assert recorded[1]["all"] != recorded[2]["all"] != recorded[3]["all"]


def test_period_report_counts_and_marks_people_inactive_now(
    clock, admin_client, admin_user, make_user, course
):
    clock.at(1)
    stays, leaves = make_user(), make_user()
    first = enrollment_services.enrollment_create(
        user=stays, course=course, by=admin_user, reason="t"
    )
    second = enrollment_services.enrollment_create(
        user=leaves, course=course, by=admin_user, reason="t"
    )
    clock.at(2)
    for enrollment in (first, second):
        enrollment_services.enrollment_set_state(
            enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
        )
    services.user_deactivate(leaves, by=admin_user, reason="Left")
    clock.at(4)
    start, end = clock.start.date(), clock.now.date()
    response = admin_client.get(
        AS_OF, {"period_from": start.isoformat(), "period_to": end.isoformat()}
    )
    rows = table_rows(response.content, "period")
    assert ["Completions", "All", "2", "1", "0"] in rows
    assert ["Enrolments made", "All", "2", "1", "0"] in rows
    assert ["Deactivations", "All", "1", "1", "0"] in rows
