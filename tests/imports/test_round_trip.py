"""Export everything in our own format, import it back: nothing changes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentMethod, EnrollmentType
from imports.exporting import EXPORTS, export_file
from users import services
from users.models import User

from .helpers import all_messages, confirm, counts, csv_bytes, import_and_apply, import_file, world

pytestmark = pytest.mark.django_db

KINDS = ["users", "courses", "sections", "enrollments", "memberships"]
FORMATS = ["csv", "xlsx", "json"]
# Texts an export must write so that the import reads them back exactly.
AWKWARD = [
    "=1+1",
    "+44 20 7946 0000",
    "-minus",
    "@handle",
    "\tTabbed",
    "\rCarriage",
    " Spaced ",
    "Trailing\t",
    "'=typed with its quote",
    "'s-Hertogenbosch",
    "''",
    'Say "cheese", please',
    "Zoë Ångström 東京",
    "",
]


@pytest.fixture
def everything(admin_user, make_user, organisation, partner, course, enrolled_in_every_state):
    """A bit of every kind of thing an export holds, in every state it can be in."""
    reason = "Test set-up"
    by = admin_user
    learner = make_user(sis_user_id="RT-1", first_name="Zoë", last_name="Ångström")
    plain = make_user(organisation=None, email="")
    formulaic = make_user(first_name="=1+1", last_name="-minus", sis_user_id="+RT-3")
    inactive = make_user(sis_user_id="RT-4")
    services.user_deactivate(inactive, by=by, reason=reason)
    deleted = make_user(sis_user_id="RT-5")
    marked = make_user(sis_user_id="RT-6")
    services.users_mark_for_deletion(User.objects.filter(pk=marked.pk), by=by, reason=reason)
    partner_person = make_user(organisation=partner, sis_user_id="RT-7")

    evening = enrollment_services.section_create(
        course, name="Evening", sis_section_id="SEC-EVE", by=by, reason=reason
    )
    weekend = enrollment_services.section_create(course, name="Weekend", by=by, reason=reason)
    enrollment_services.course_create(
        code="NOSIS",
        name="A course without SIS id",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        by=by,
        reason=reason,
    )
    enrollment_services.course_create(
        code="ALL",
        name="Everyone at the partner",
        organisation=partner,
        sis_course_id="SIS-ALL",
        enrollment_method=EnrollmentMethod.EVERYONE,
        by=by,
        reason=reason,
    )

    enrolled_in_every_state(learner)
    enrolled_in_every_state(deleted)
    late = enrollment_services.enrollment_create(
        user=learner, course=course, section=evening, by=by, reason=reason
    )
    enrollment_services.enrollment_record_progress(
        late,
        started_at=timezone.now() - timedelta(days=3, microseconds=1234),
        last_activity_at=timezone.now() - timedelta(hours=5),
        score=Decimal("87.50"),
        by=by,
        reason=reason,
    )
    enrollment_services.enrollment_create(
        user=plain,
        course=course,
        section=weekend,
        type=EnrollmentType.TEACHER,
        by=by,
        reason=reason,
    )
    enrollment_services.enrollment_create(
        user=formulaic, course=course, state="invited", by=by, reason=reason
    )
    services.user_delete(deleted, by=by, reason=reason)

    night = services.segment_create(
        name="Night shift", organisation=organisation, by=by, reason=reason
    )
    everyone = services.segment_create(name="Mentors", by=by, reason=reason)
    services.segment_add_members(
        night, User.objects.filter(pk__in=[learner.pk, inactive.pk]), by=by, reason=reason
    )
    services.segment_add_members(
        everyone,
        User.objects.filter(pk__in=[plain.pk, partner_person.pk, deleted.pk]),
        by=by,
        reason=reason,
    )

    # Awkward text in every kind: what a spreadsheet would run, white space a reader might
    # trim, a quote of its own, and more than ASCII.
    for number, text in enumerate(AWKWARD):
        person = make_user(first_name=text, last_name=text[::-1], sis_user_id=f"AW-{number}")
        awkward_course = enrollment_services.course_create(
            code=f"AWK{number}",
            name=text or "Nameless",
            sis_course_id=f"AWK-{number}",
            by=by,
            reason=reason,
        )
        section = enrollment_services.section_create(
            awkward_course,
            name=text or "Main",
            sis_section_id=f"AWS-{number}",
            by=by,
            reason=reason,
        )
        enrollment_services.enrollment_create(
            user=person, course=awkward_course, section=section, by=by, reason=reason
        )
        segment = services.segment_create(
            name=text or "Unnamed", organisation=organisation, by=by, reason=reason
        )
        services.segment_add_members(
            segment, User.objects.filter(pk=person.pk), by=by, reason=reason
        )


def exported(kind: str, fmt: str) -> bytes:
    model = EXPORTS[kind][0]
    return b"".join(export_file(kind, model.objects.all(), fmt))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_export_then_import_changes_nothing(kind, fmt, everything, admin_user):
    model = EXPORTS[kind][0]
    total = model.objects.count()
    assert total
    content = exported(kind, fmt)
    before = world()

    job = import_file(kind, content, by=admin_user, name=f"{kind}.{fmt}")

    assert job.state == "checked", job.failure
    assert job.findings["errors"] == [], job.findings
    assert counts(job) == {"unchanged": total}, all_messages(job)
    job = confirm(job, by=admin_user)
    assert job.state == "done", job.failure
    assert world() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_exported_formula_text_comes_back_as_the_same_text(fmt, everything, admin_user):
    """Exports put a quote before formula-like text; importing takes it off again."""
    formulaic = User.objects.get(sis_user_id="+RT-3")
    content = exported("users", fmt)
    assert b"'=1+1" in content or fmt == "xlsx"
    services.user_update(formulaic, first_name="Plain", by=admin_user, reason="Test")

    job = import_file("users", content, by=admin_user, name=f"users.{fmt}")
    assert counts(job) == {"unchanged": User.objects.count() - 1, "updated": 1}
    confirm(job, by=admin_user)

    formulaic.refresh_from_db()
    assert formulaic.first_name == "=1+1"
    assert formulaic.last_name == "-minus"
    assert formulaic.sis_user_id == "+RT-3"


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_text_comes_back_exactly(fmt, everything, admin_user):
    """Every awkward text survives export then import: the quote that makes it safe in a
    spreadsheet is taken off again, and nothing else is touched."""
    content = exported("users", fmt)
    for number, text in enumerate(AWKWARD):
        person = User.objects.get(sis_user_id=f"AW-{number}")
        assert (person.first_name, person.last_name) == (text, text[::-1])
    job = import_file("users", content, by=admin_user, name=f"users.{fmt}")
    assert counts(job) == {"unchanged": User.objects.count()}, all_messages(job)


def test_the_export_quotes_what_a_spreadsheet_would_run_and_doubles_a_typed_quote(everything):
    raw = exported("users", "csv").decode()
    for written in ("'=1+1", "'+44", "'-minus", "'@handle", ",'\tTabbed", '"\'\rCarriage"'):
        assert written in raw
    assert ",' Spaced ," in raw and "''=typed with its quote" in raw
    assert ",''',''',learner" in raw  # a text that is two quotes is written with three
    # A text of its own starting with a quote gets a second one, so it keeps its own.
    assert ",''s-Hertogenbosch," in raw


def test_a_typed_quote_before_a_formula_is_the_spreadsheet_habit(admin_user):
    """A file typed by hand: '=1+1 is the text =1+1; 's-Hertogenbosch keeps its quote."""
    content = csv_bytes(
        ["login_id", "user_id", "first_name", "last_name", "status"],
        ["typed", "T-1", "'=1+1", "'s-Hertogenbosch", "active"],
    )
    job = import_and_apply("users", content, by=admin_user)
    assert job.state == "done", job.failure
    person = User.objects.get(username="typed")
    assert (person.first_name, person.last_name) == ("=1+1", "'s-Hertogenbosch")
