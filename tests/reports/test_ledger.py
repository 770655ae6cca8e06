"""The figures ledger equals the figures counted from the tables and from the history.

Every service path that moves a figure runs over several simulated days (an import too);
after each day the live figures from the ledger must equal the live counts, and at the end
the figures of every past day from the ledger must equal those counted from the history.
A ledger rebuilt from scratch must then say the same as the one the services kept.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentMethod, EnrollmentState
from reports.ledger_rebuild import rebuild_ledger
from reports.models import FigureDelta, SignInEvent
from reports.selectors.analytics import analytics_as_of_scan, analytics_scan
from reports.selectors.figures import analytics, analytics_as_of
from reports.selectors.ledger_read import ledger_answers
from tests.imports.helpers import ENROLLMENTS_CANVAS, OWN_USERS, csv_bytes, import_and_apply
from users import services
from users.models import Organisation, SegmentMembership, User, UserStatus

pytestmark = pytest.mark.django_db(transaction=False)


def _filter_sets(organisation, child, course, first_day):
    """Every filter the ledger answers; `first_day` is the first simulated day. A date range
    reads sign-ins and new people from the ledger and counts its enrolments from the tables."""
    next_day = first_day + timedelta(days=1)
    return [
        {},
        {"organisation": organisation},
        {"organisation": child},
        {"course": course},
        {"organisation": organisation, "course": course},
        {"date_from": first_day},
        {"date_from": next_day},
        {"date_to": first_day},
        {"date_from": first_day - timedelta(days=900), "date_to": next_day},
        {"date_from": next_day, "date_to": next_day + timedelta(days=1), "organisation": child},
        {"date_from": next_day, "course": course},
    ]


def _rows(figures):
    return list(figures.rows())


def _assert_live_equal(people, filter_sets, when):
    for person in people:
        for filters in filter_sets:
            assert ledger_answers(filters)
            from_ledger = _rows(analytics(person=person, filters=filters))
            counted = _rows(analytics_scan(person=person, filters=filters))
            assert from_ledger == counted, (when, person, filters)


def _assert_past_equal(people, filter_sets, days):
    for day in days:
        for person in people:
            for filters in filter_sets:
                from_ledger = _rows(analytics_as_of(person=person, filters=filters, day=day))
                counted = _rows(analytics_as_of_scan(person=person, filters=filters, day=day))
                assert from_ledger == counted, (day, person, filters)


def _ledger_sums():
    totals = {}
    for row in FigureDelta.objects.values_list(
        "day", "kind", "organisation_id", "segment_id", "course_id", "state", "on_day", "n"
    ):
        key = row[:-1]
        totals[key] = totals.get(key, 0) + row[-1]
    return {key: n for key, n in totals.items() if n}


def _cumulative(sums):
    """Per day, the running totals: what an as-of question reads from the ledger."""
    by_day = {}
    for (day, *key), n in sums.items():
        by_day.setdefault(day, {})[tuple(key)] = n
    running, out = {}, {}
    for day in sorted(by_day):
        for key, n in by_day[day].items():
            running[key] = running.get(key, 0) + n
        out[day] = {key: n for key, n in running.items() if n}
    return out


def test_every_service_path_keeps_the_ledger_equal_to_the_counts(
    clock, organisation, partner, admin_user, power_user
):
    clock.at(1, 9)
    child = services.organisation_create(
        name="Acme Retail", slug="acme-retail", parent=organisation, by=admin_user, reason="New"
    )
    people = [admin_user, power_user]
    days = []

    def make(name, org, **extra):
        return services.user_create(
            username=name,
            email=f"{name}@example.com",
            sis_user_id=f"SIS-{name}",
            organisation=org,
            by=admin_user,
            reason="Joined",
            **extra,
        )

    def end_of_day(number):
        clock.at(number, 23, 30)
        days.append(clock.now.date())
        _assert_live_equal(people, filter_sets, f"day {number}")

    # Day 1: people join (one with no organisation, one joined long ago), courses, enrolments,
    # an "everyone" course, segments, sign-ins.
    clock.at(1, 10)
    ann, bob, cat, dan = (make(n, organisation) for n in ("ann", "bob", "cat", "dan"))
    eve, fay = make("eve", child), make("fay", partner)
    gus = make("gus", None, date_joined=clock.now - timedelta(days=400))
    fire = enrollment_services.course_create(
        code="FIRE", name="Fire safety", sis_course_id="SIS-FIRE", by=admin_user, reason="New"
    )
    gdpr = enrollment_services.course_create(
        code="GDPR", name="Data protection", by=admin_user, reason="New"
    )
    filter_sets = _filter_sets(organisation, child, fire, clock.now.date())
    for person in (ann, bob, cat):
        enrollment_services.enrollment_create(
            user=person, course=fire, by=admin_user, reason="Enrolled"
        )
    enrollment_services.enrollments_create(
        User.objects.filter(username__in=["dan", "eve", "fay", "gus", "ann"]),
        course=gdpr,
        by=admin_user,
        reason="Bulk",
    )
    enrollment_services.course_create(
        code="WELCOME",
        name="Welcome",
        organisation=organisation,
        enrollment_method=EnrollmentMethod.EVERYONE,
        by=admin_user,
        reason="New",
    )
    night = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="New"
    )
    field = services.segment_create(name="Field", organisation=partner, by=admin_user, reason="New")
    services.segment_add_members(
        night, User.objects.filter(username__in=["ann", "bob", "eve"]), by=admin_user, reason="Rota"
    )
    services.segment_add_members(field, User.objects.filter(pk=fay.pk), by=admin_user, reason="R")
    for person in (ann, bob, fay, gus):
        SignInEvent.objects.create(user=person, at=clock.now)
    end_of_day(1)

    # Day 2: state changes one by one and in bulk, departures one by one and in bulk, a move
    # to another organisation, members leave.
    clock.at(2, 11)
    fire_of = {e.user_id: e for e in Enrollment.objects.filter(course=fire)}
    enrollment_services.enrollment_set_state(
        fire_of[ann.pk], EnrollmentState.COMPLETED, by=admin_user, reason="Passed"
    )
    enrollment_services.enrollments_set_state(
        Enrollment.objects.filter(course=gdpr, user__in=[dan, eve]),
        EnrollmentState.INACTIVE,
        by=admin_user,
        reason="Paused",
    )
    SignInEvent.objects.create(user=cat, at=clock.now)
    services.user_deactivate(bob, by=admin_user, reason="Left")
    services.users_deactivate(
        User.objects.filter(pk__in=[cat.pk, fay.pk]), by=admin_user, reason="Leave"
    )
    services.user_update(eve, organisation=partner, by=admin_user, reason="Moved")
    services.segment_remove_members(
        night, User.objects.filter(pk=ann.pk), by=admin_user, reason="Day shift now"
    )
    end_of_day(2)

    # Day 3: back again, deletions one by one and in bulk, a membership deleted, the course
    # switched to "everyone".
    clock.at(3, 9)
    services.user_reactivate(bob, by=admin_user, reason="Back")
    services.users_reactivate(User.objects.filter(pk=cat.pk), by=admin_user, reason="Back")
    services.user_delete(dan, by=admin_user, reason="Erasure request")
    services.users_delete(User.objects.filter(pk__in=[gus.pk, fay.pk]), by=admin_user, reason="X")
    services.segment_membership_delete(
        SegmentMembership.objects.get(segment=night, user=eve), by=admin_user, reason="Moved"
    )
    enrollment_services.course_set_enrollment_method(
        gdpr, EnrollmentMethod.EVERYONE, by=admin_user, reason="Everyone"
    )
    enrollment_services.enrollments_set_state(
        Enrollment.objects.filter(course=fire), EnrollmentState.DELETED, by=admin_user, reason="X"
    )
    end_of_day(3)

    # Day 4: undeletion one by one and in bulk, a revert, imports of people and enrolments
    # through the imports app, and the services an import uses.
    clock.at(4, 10)
    services.user_undelete(dan, by=admin_user, reason="Mistake")
    services.users_undelete(User.objects.filter(pk=gus.pk), by=admin_user, reason="Mistake")
    move = User.history.filter(id=eve.pk).order_by("-history_date").first()
    services.user_revert_change(eve, move.history_id, by=admin_user, reason="Undo the move")
    enrollment_services.enrollments_set_state(
        Enrollment.objects.filter(course=fire, user=ann),
        EnrollmentState.COMPLETED,
        by=admin_user,
        reason="Restored",
    )
    import_and_apply(
        "users",
        csv_bytes(
            OWN_USERS,
            ["hal", "SIS-hal", "Hal", "Ng", "hal@example.com", "ACME", "active"],
            ["ivy", "SIS-ivy", "Ivy", "Lo", "ivy@example.com", "PART", "inactive"],
            ["ann", "SIS-ann", "Ann", "A", "ann@example.com", "ACME", "active"],
            ["bob", "SIS-bob", "Bob", "B", "bob@example.com", "ACME", "inactive"],
        ),
        by=admin_user,
    )
    import_and_apply(
        "enrollments",
        csv_bytes(
            ENROLLMENTS_CANVAS,
            ["SIS-FIRE", "SIS-hal", "student", "", "active"],
            ["SIS-FIRE", "SIS-cat", "student", "", "completed"],
        ),
        by=admin_user,
        name="enrollments.csv",
    )
    services.users_apply_import(
        create=[{"username": "jim", "organisation_id": child.pk, "status": UserStatus.ACTIVE}],
        update={cat.pk: {"organisation_id": child.pk}},
        status={UserStatus.INACTIVE: [ann.pk]},
        undelete={UserStatus.ACTIVE: [fay.pk]},
        by=admin_user,
        reason="Import",
    )
    services.segments_apply_import(
        add={night.pk: [cat.pk, bob.pk]}, remove={field.pk: [fay.pk]}, by=admin_user, reason="I"
    )
    SignInEvent.objects.create(user=fay, at=clock.now)
    end_of_day(4)

    # Day 5 onwards: nothing changes, yet the sign-in and new-user windows move on.
    end_of_day(6)
    _assert_past_equal(people, filter_sets, [days[0] - timedelta(days=1), *days])

    kept = _ledger_sums()
    rebuild_ledger()
    assert _cumulative(_ledger_sums()) == _cumulative(kept)
    _assert_live_equal(people, filter_sets, "after rebuilding")
    _assert_past_equal(people, filter_sets, days)


def test_rebuilding_counts_rows_written_without_the_services(organisation, admin_user):
    """Data loaded with COPY has no ledger rows until the ledger is rebuilt."""
    learner = services.user_create(
        username="lee", organisation=organisation, by=admin_user, reason="Joined"
    )
    User.objects.filter(pk=learner.pk).update(organisation=None)  # behind the services' back
    Organisation.objects.filter(pk=organisation.pk).update(name="Acme")
    assert _rows(analytics(person=admin_user, filters={})) != _rows(
        analytics_scan(person=admin_user, filters={})
    )
    rebuild_ledger()
    assert _rows(analytics(person=admin_user, filters={})) == _rows(
        analytics_scan(person=admin_user, filters={})
    )


def test_a_segment_is_counted_from_the_tables(organisation, admin_user):
    segment = services.segment_create(name="S", by=admin_user, reason="New")
    assert not ledger_answers({"segment": segment})
    assert ledger_answers({"date_from": date(2026, 1, 1)})
    assert ledger_answers({"organisation": organisation})
    anonymous = AnonymousUser()
    assert _rows(analytics(person=anonymous, filters={})) == _rows(
        analytics_scan(person=anonymous, filters={})
    )


def test_scale_data_loaded_without_the_services_is_counted(roles, admin_user):
    import io

    from bench.scale_data import seed_scale

    seed_scale(20, stdout=io.StringIO(), enrollments_per_user=3)
    assert _rows(analytics(person=admin_user, filters={})) == _rows(
        analytics_scan(person=admin_user, filters={})
    )
    kept = _ledger_sums()
    rebuild_ledger()
    assert _cumulative(_ledger_sums()) == _cumulative(kept)


def test_two_years_of_demo_history_read_the_same_from_the_ledger(roles):
    """The demo is two years of back-dated changes through the services."""
    from django.core.management import call_command
    from django.utils import timezone

    call_command("seed_demo", verbosity=0)
    trainer = User.objects.get(username="trainer")
    organisation = Organisation.objects.get(slug="acme")
    filter_sets = [{}, {"organisation": organisation}]
    _assert_live_equal([trainer], filter_sets, "demo")
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (1, 30, 200, 400, 700)]
    _assert_past_equal([trainer], filter_sets, days)
    kept = _ledger_sums()
    rebuild_ledger()
    assert _cumulative(_ledger_sums()) == _cumulative(kept)
