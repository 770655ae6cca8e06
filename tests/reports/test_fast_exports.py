"""On PostgreSQL the exports' rows come from SQL; they must be exactly the rows the Python
path builds from the models, put through `reports.exports.cell`, on awkward data too; and
a CSV file written by COPY must be byte for byte the file the Python path writes."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from reports import exports
from reports.filters import ArchivedFilterSet, ChangeLogFilterSet
from reports.selectors import archived, changes
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.postgresql("the SQL export path is PostgreSQL's")
# Auckland is 12 or 13 hours ahead of UTC: a UTC evening is the next local morning.
ZONE = "Pacific/Auckland"


def _filterset(person, **data):
    request = RequestFactory().get("/")
    request.user = person
    filterset = ArchivedFilterSet(
        data=data, queryset=User.objects.for_user(person), request=request
    )
    assert filterset.form.is_valid(), filterset.form.errors
    return filterset


def _both_paths(filterset):
    fast = list(archived.archived_rows(filterset))
    careful = [
        tuple(exports.cell(value) for value in row)
        for row in archived._archived_rows_from_models(filterset)
    ]
    _same_copy(archived.archived_export(filterset), careful)
    return fast, careful


def _same_copy(source, careful):
    """The CSV file COPY writes is the Python path's file, byte for byte; the count told
    at its end is its number of rows."""
    told = []
    copied = b"".join(exports.export_stream("csv", source, finished=told.append))
    # Both are cells already (made safe once): written as they are, not quoted twice.
    assert copied == b"".join(exports.stream("csv", source.headers, careful, cells=True))
    assert told == [len(careful)]


def _same(fast, careful):
    """Equal as the files would hold them: score is a number (or empty) on both sides."""
    assert [tuple(exports.display(value) for value in row) for row in fast] == careful
    for fmt in ("csv", "json"):
        assert b"".join(exports.stream(fmt, archived.HEADERS, fast, cells=True)) == b"".join(
            exports.stream(fmt, archived.HEADERS, careful, cells=True)
        )


def _course(admin_user, code, name):
    return enrollment_services.course_create(code=code, name=name, by=admin_user, reason="t")


@pytest.fixture
def awkward(admin_user, make_user, partner):
    """Inactive people whose names, courses and times test every formatting rule."""
    tricky = make_user(
        username="zoë",
        first_name='=cmd|" /C calc"!A0',
        last_name='Müller, "the"\nsecond line',
        email="+zoe@example.com",
        sis_user_id="-42",
    )
    course = _course(admin_user, "@CODE", 'Ünïcödé, "quoted" and\r\nsplit')
    plain_course = _course(admin_user, "PLAIN", "Plain course")
    enrolment = enrollment_services.enrollment_create(
        user=tricky, course=course, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_record_progress(
        enrolment, score=Decimal("7.5"), by=admin_user, reason="t"
    )
    enrollment_services.enrollment_set_state(
        enrolment, EnrollmentState.COMPLETED, by=admin_user, reason="t"
    )
    for _ in range(3):
        enrollment_services.certificate_issue(enrolment, by=admin_user, reason="t")
    enrollment_services.enrollment_create(
        user=tricky, course=plain_course, by=admin_user, reason="t"
    )
    # A microsecond before midnight in Auckland (NZDT), and as its summer time ends.
    Enrollment.objects.filter(course=course).update(
        created_at=datetime(2026, 3, 1, 10, 59, 59, 999999, tzinfo=ZoneInfo("UTC")),
        completed_at=datetime(2026, 4, 4, 14, 0, 0, tzinfo=ZoneInfo("UTC")),
    )
    services.user_deactivate(tricky, by=admin_user, reason="\tTabbed reason, with comma")

    blank = make_user(username="blank", first_name="  ", last_name="\u00a0", email="")
    services.user_deactivate(blank, by=None, reason="")  # by the system, no reason
    # Inactive with no history row for it: the report falls back to the status change.
    quiet = make_user(username="quiet", organisation=None)
    User.objects.filter(pk=quiet.pk).update(
        status=UserStatus.INACTIVE,
        status_changed_at=datetime(2026, 1, 1, 11, 30, tzinfo=ZoneInfo("UTC")),
    )
    # A quote of its own, and white space at the end: quoted by SQL as by Python.
    elsewhere = make_user(username="elsewhere", organisation=partner, first_name="'Ève")
    enrollment_services.enrollment_create(
        user=elsewhere, course=plain_course, by=admin_user, reason="t"
    )
    services.user_deactivate(elsewhere, by=admin_user, reason="Moved\u00a0")
    active = make_user(username="still-here")
    enrollment_services.enrollment_create(
        user=active, course=plain_course, by=admin_user, reason="t"
    )
    return {"tricky": tricky, "partner": partner}


@pytest.mark.parametrize("zone", ["UTC", ZONE])
def test_fast_rows_equal_the_python_rows(admin_user, awkward, zone):
    with timezone.override(zone):
        fast, careful = _both_paths(_filterset(admin_user))
    assert {row[0] for row in careful} == {"zoë", "blank", "quiet", "elsewhere"}
    assert len(careful) == 5  # two enrolments for zoë, one row each for the others
    _same(fast, careful)


def test_fast_rows_neutralise_and_render_local_time(admin_user, awkward):
    with timezone.override(ZONE):
        fast, _ = _both_paths(_filterset(admin_user))
    tricky = [row for row in fast if row[0] == "zoë"]
    first = tricky[0]
    assert first[1].startswith("'=cmd") and first[2] == "'+zoe@example.com"
    assert first[3] == "'-42" and first[7] == "'\tTabbed reason, with comma"
    assert first[8] == "'@CODE" and first[11] == "2026-03-01 23:59:59"
    assert first[12] == "2026-04-05 02:00:00"  # the night summer time ends in Auckland
    assert first[13] == Decimal("7.50") and len(first[14].split(", ")) == 3
    assert tricky[1][13] is None or tricky[1][13] == ""
    blank = next(row for row in fast if row[0] == "blank")
    assert blank[1] == "blank" and blank[6] == "System" and blank[8:13] == ("",) * 5


def test_fast_rows_follow_scope_and_filters(admin_user, power_user, awkward):
    partner = awkward["partner"]
    for filterset in (
        _filterset(power_user),
        _filterset(admin_user, organisation=partner.pk),
        _filterset(admin_user, deactivated_from=timezone.localdate().isoformat()),
        _filterset(admin_user, deactivated_to="2026-01-01"),
    ):
        fast, careful = _both_paths(filterset)
        _same(fast, careful)
    fast, _ = _both_paths(_filterset(power_user))
    assert [row[0] for row in fast] == ["elsewhere"]


def test_no_rows_when_the_scope_is_empty(make_user, admin_user):
    nobody = make_user(username="nobody", is_staff=True)
    assert list(archived.archived_rows(_filterset(nobody))) == []
    told = []
    source = archived.archived_export(_filterset(nobody))
    assert source.query is None
    body = b"".join(exports.export_stream("csv", source, finished=told.append))
    assert body == exports.csv_head(archived.HEADERS) and told == [0]


def _log(person, **data):
    request = RequestFactory().get("/")
    request.user = person
    log = ChangeLogFilterSet(data=data, queryset=User.objects.none(), request=request)
    assert log.form.is_valid(), log.form.errors
    chosen = changes._chosen(log.form.cleaned_data)
    fast = list(changes.change_rows(person=person, filters=log.form.cleaned_data))
    careful = [
        tuple(exports.cell(value) for value in row)
        for row in changes._change_rows_from_models(chosen, log.form.cleaned_data, person)
    ]
    _same_copy(changes.change_export(person=person, filters=log.form.cleaned_data), careful)
    return fast, careful


def test_fast_change_log_equals_the_python_log(admin_user, power_user, awkward, make_user):
    tricky = awkward["tricky"]
    services.user_update(tricky, first_name="", email="", by=admin_user, reason="=Renamed")
    services.user_reactivate(tricky, by=admin_user, reason="Back")
    segment = services.segment_create(
        name='Crew, "A"', organisation=awkward["partner"], by=admin_user, reason="t"
    )
    services.segment_add_members(
        segment, User.objects.filter(username="elsewhere"), by=admin_user, reason="t"
    )
    enrolment = Enrollment.objects.filter(user=tricky).first()
    enrollment_services.enrollment_record_progress(
        enrolment, score=Decimal("0"), by=admin_user, reason="zero"
    )
    today = timezone.localdate().isoformat()
    cases = [
        (admin_user, {}),
        (admin_user, {"object_type": "enrollment"}),
        (admin_user, {"object_type": "user", "action": "~"}),
        (admin_user, {"actor": admin_user.pk}),
        (admin_user, {"date_from": "2026-01-01", "date_to": today}),
        (power_user, {}),
    ]
    assert len(_log(admin_user)[1]) > 20
    for zone in ("UTC", ZONE):
        with timezone.override(zone):
            for person, data in cases:
                fast, careful = _log(person, **data)
                _same_log(fast, careful)


def _same_log(fast, careful):
    assert [tuple(exports.display(value) for value in row) for row in fast] == careful
    for fmt in ("csv", "json"):
        assert b"".join(exports.stream(fmt, changes.HEADERS, fast, cells=True)) == b"".join(
            exports.stream(fmt, changes.HEADERS, careful, cells=True)
        )
