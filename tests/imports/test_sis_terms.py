"""Terms in SIS imports: terms.csv (imported first), courses.csv's term_id, all or nothing;
one SIS term ID per organisation, and a course takes the nearest term with its id."""

import pytest
from django.test import TestCase

from enrollments import services as enrollment_services
from enrollments.models import Course, EnrollmentTerm
from imports.models import ImportJob
from imports.sis_services import sis_import_create
from lms_admin.plumbing.errors import DomainError
from users import services as user_services

from .helpers import by_key, import_and_apply, import_file, zipped

pytestmark = pytest.mark.django_db

TERMS = (
    "term_id,name,status,start_date,end_date,integration_id\n"
    "FALL25,Fall 2025,active,2025-09-01 00:00:00,2025-12-20 00:00:00,INT-1\n"
    "SPR26,Spring 2026,active,2026-01-10,2026-05-30,INT-2\n"
)
USERS = "user_id,login_id,first_name,last_name,status\n" + "".join(
    f"U-{n},{login},{login.title()},Learner,active\n"
    for n, login in ((1, "ann"), (2, "bob"), (3, "cy"), (4, "dee"), (5, "eve"))
)
COURSES = (
    "course_id,short_name,long_name,status,term_id\n"
    "C-F1,FALL1,Fall one,active,FALL25\n"
    "C-F2,FALL2,Fall two,active,FALL25\n"
    "C-S1,SPRING1,Spring one,active,SPR26\n"
)
ENROLMENT_HEADER = "course_id,user_id,role,section_id,status\n"
ENROLLED = (("C-F1", 1), ("C-F1", 2), ("C-F2", 3), ("C-F2", 4), ("C-S1", 4), ("C-S1", 1))


def enrolments(*pairs) -> str:
    return ENROLMENT_HEADER + "".join(f"{course},U-{n},student,,active\n" for course, n in pairs)


@pytest.fixture(autouse=True)
def tasks_now(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def sis(organisation, by, content: bytes, name=None, **options) -> ImportJob:
    """An SIS import as the API starts one; the worker runs it when the upload commits."""
    name = name or ("nightly.zip" if content.startswith(b"PK") else "users.csv")
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = sis_import_create(
            account=organisation, content=content, file_name=name, by=by, options=options
        )
    job.refresh_from_db()
    return job


@pytest.fixture
def nightly(organisation, admin_user):
    """The first night: terms, people, courses and enrolments, not in batch mode."""
    job = sis(
        organisation,
        admin_user,
        zipped(
            **{
                "enrollments.csv": enrolments(*ENROLLED),
                "courses.csv": COURSES,
                "users.csv": USERS,
                "terms.csv": TERMS,
            }
        ),
    )
    assert job.state == "done", job.options
    return job


def test_terms_are_imported_first_and_courses_join_them(nightly, organisation):
    fall = EnrollmentTerm.objects.get(sis_term_id="FALL25")
    assert (fall.name, fall.organisation, fall.start_at.month) == ("Fall 2025", organisation, 9)
    assert Course.objects.get(sis_course_id="C-F1").term == fall
    assert Course.objects.get(sis_course_id="C-S1").term.sis_term_id == "SPR26"
    assert nightly.counts["terms"] == 2
    assert [
        "terms.csv",
        "These columns are not imported and were ignored: integration_id.",
    ] in nightly.options["warnings"]
    history = fall.history.get()
    assert (history.history_user_id, history.history_change_reason) == (
        nightly.created_by_id,
        "Import terms.csv",
    )


def test_an_unknown_term_in_courses_csv_fails_the_whole_import(organisation, admin_user):
    courses = "course_id,short_name,long_name,status,term_id\nC-X,X1,X one,active,NOPE\n"
    job = sis(organisation, admin_user, zipped(**{"terms.csv": TERMS, "courses.csv": courses}))
    assert job.state == "failed"
    [error] = job.options["errors"]
    assert error[0] == "courses.csv"
    assert "Line 2" in error[1] and "No term has the SIS term ID NOPE" in error[1]
    # All or nothing: the terms of the same upload are not kept either.
    assert not EnrollmentTerm.objects.exists()
    assert not Course.objects.filter(sis_course_id="C-X").exists()


def terms_file(*rows: str) -> bytes:
    return ("term_id,name,status,start_date,end_date\n" + "".join(f"{r}\n" for r in rows)).encode()


def test_terms_csv_creates_then_updates_and_never_deletes(admin_user, organisation):
    job = import_and_apply(
        "terms",
        terms_file("T1,Term one,active,2025-01-01,"),
        by=admin_user,
        organisation=organisation,
    )
    assert job.state == "done"
    term = EnrollmentTerm.objects.get(sis_term_id="T1")
    assert term.organisation == organisation
    again = import_file(
        "terms",
        terms_file(
            "T1,Term one renamed,active,,",
            "T2,Gone,deleted,,",
            "T3,Backwards,active,2025-05-01,2025-01-01",
        ),
        by=admin_user,
        organisation=organisation,
    )
    rows = by_key(again)
    assert rows["Term one renamed (SIS T1)"].outcome == "updated"
    assert rows["Term one renamed (SIS T1)"].target == term.pk
    assert "never deletes terms" in rows["Gone (SIS T2)"].messages[0]
    assert rows["Backwards (SIS T3)"].messages == ["The term cannot end before it starts."]


def test_one_sis_term_id_per_organisation(admin_user, organisation, partner):
    import_and_apply(
        "terms", terms_file("T1,Ours,active,,"), by=admin_user, organisation=organisation
    )
    import_and_apply("terms", terms_file("T1,Theirs,active,,"), by=admin_user, organisation=partner)
    import_and_apply("terms", terms_file("T1,Shared,active,,"), by=admin_user)
    assert sorted(EnrollmentTerm.objects.values_list("name", flat=True)) == [
        "Ours",
        "Shared",
        "Theirs",
    ]
    with pytest.raises(DomainError, match="Another term of this organisation"):
        enrollment_services.term_create(
            name="Twice", sis_term_id="T1", organisation=partner, by=admin_user, reason="t"
        )


def test_a_course_takes_the_nearest_term_with_its_id(admin_user, organisation):
    child = user_services.organisation_create(
        name="Acme Retail", slug="acme-retail", parent=organisation, by=admin_user, reason="t"
    )
    import_and_apply("terms", terms_file("T1,Shared,active,,"), by=admin_user)
    import_and_apply(
        "terms", terms_file("T1,Acme's,active,,"), by=admin_user, organisation=organisation
    )
    courses = "course_id,short_name,long_name,status,term_id\nC-1,R1,Retail one,active,T1\n"
    import_and_apply("courses", courses.encode(), by=admin_user, organisation=child)
    assert Course.objects.get(sis_course_id="C-1").term.name == "Acme's"


def test_a_users_file_on_its_own_goes_in_one_pass_and_a_status_change_keeps_its_plans(
    organisation, admin_user
):
    """A users.csv alone (no batch mode) is checked and applied in one pass, as import_data
    does: no plans are stored. A file that changes someone's status takes the two steps, so
    restore_states still finds what it changed."""
    from imports.models import ImportPlan, ImportState

    job = sis(organisation, admin_user, USERS.encode())
    part = job.parts.get()
    assert job.state == ImportState.DONE and part.state == ImportState.DONE
    assert part.rows_done == 5
    assert not ImportPlan.objects.filter(job=part).exists()

    suspended = USERS.replace("U-2,bob,Bob,Learner,active", "U-2,bob,Bob,Learner,suspended")
    again = sis(organisation, admin_user, suspended.encode())
    assert again.state == ImportState.DONE
    assert ImportPlan.objects.filter(job=again.parts.get()).exists()
