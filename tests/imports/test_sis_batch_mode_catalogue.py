"""Batch mode for a term also marks the term's courses and sections that the batch's
courses.csv and sections.csv omit (when it holds them): the account's, with an SIS id, never
deleted, listed in the warnings; restore_states takes exactly those marks off again."""

import pytest

from enrollments import services as enrollment_services
from enrollments.models import Course, Section

from .helpers import zipped
from .test_sis_batch_mode_terms import restore
from .test_sis_terms import (  # noqa: F401  (nightly and tasks_now are fixtures)
    COURSES,
    ENROLLED,
    USERS,
    enrolments,
    nightly,
    sis,
    tasks_now,
)

pytestmark = pytest.mark.django_db

SECTIONS = (
    "section_id,course_id,name,status\n"
    "S-F1,C-F1,Fall one morning,active\n"
    "S-F2,C-F2,Fall two morning,active\n"
    "S-S1,C-S1,Spring one morning,active\n"
)


def only(text: str, *keys: str) -> str:
    """The header of a CSV text and those of its rows that hold one of `keys`."""
    header, *rows = text.splitlines(keepends=True)
    return header + "".join(row for row in rows if any(f"{key}," in row for key in keys))


@pytest.fixture
def catalogue(nightly, organisation, partner, admin_user):  # noqa: F811
    """Sections for the nightly courses, a fall course of another organisation and a fall
    course of the account without an SIS id (made by hand, not by the SIS)."""
    job = sis(organisation, admin_user, SECTIONS.encode(), name="sections.csv")
    assert job.state == "done", job.options
    fall = Course.objects.get(sis_course_id="C-F1").term
    enrollment_services.course_create(
        code="HAND1",
        name="By hand",
        organisation=organisation,
        term=fall,
        by=admin_user,
        reason="t",
    )
    shared_fall = enrollment_services.term_create(name="Shared", by=admin_user, reason="t")
    enrollment_services.course_create(
        code="PART1",
        name="Partner's",
        sis_course_id="C-P1",
        organisation=partner,
        term=shared_fall,
        by=admin_user,
        reason="t",
    )
    return fall


def marked(model, field) -> set[str]:
    rows = model.objects.filter(marked_for_deletion_at__isnull=False)
    return set(rows.values_list(field, flat=True))


def fall_batch(organisation, by, **files):
    return sis(
        organisation,
        by,
        zipped(**files),
        batch_mode=True,
        batch_mode_term_id="sis_term_id:FALL25",
    )


def full_batch(**changes):
    """Tonight's files for the fall term: everyone, every enrolment, unless said."""
    files = {
        "users.csv": USERS,
        "courses.csv": COURSES,
        "sections.csv": SECTIONS,
        "enrollments.csv": enrolments(*ENROLLED),
    }
    return {**files, **changes}


def listing(organisation, by, *, course: str, section: str):
    """Tonight's fall batch, whose courses.csv and sections.csv hold one row each."""
    files = {"courses.csv": only(COURSES, course), "sections.csv": only(SECTIONS, section)}
    job = fall_batch(organisation, by, **full_batch(**files))
    assert job.state == "done", job.options
    return job


def test_the_terms_omitted_courses_and_sections_are_marked_and_listed(
    catalogue, organisation, admin_user
):
    job = listing(organisation, admin_user, course="C-F1", section="S-F1")
    # Not the spring course or section, not the one made by hand, not the partner's.
    assert marked(Course, "sis_course_id") == {"C-F2"}
    assert marked(Section, "sis_section_id") == {"S-F2"}
    warnings = dict(job.options["warnings"])
    assert warnings["courses.csv"] == (
        "Batch mode for the term Fall 2025 (FALL25): 1 courses of the term not in this batch "
        "were marked “to be deleted” for review (nothing was deleted): C-F2."
    )
    assert "1 sections of the term's courses not in this batch" in warnings["sections.csv"]
    assert "S-F2 in FALL2" in warnings["sections.csv"]
    record = Course.objects.get(sis_course_id="C-F2").history.order_by("-history_id").first()
    assert (record.history_user_id, record.history_change_reason) == (
        admin_user.pk,
        f"Batch mode of SIS import {job.pk}: not in the batch",
    )
    assert record.marked_for_deletion_at is not None


def test_without_courses_or_sections_files_no_course_or_section_is_marked(
    catalogue, organisation, admin_user
):
    job = fall_batch(organisation, admin_user, **{"users.csv": USERS})
    assert job.state == "done", job.options
    assert not marked(Course, "code") and not marked(Section, "name")


def test_a_batch_that_lists_everything_marks_nothing(catalogue, organisation, admin_user):
    job = fall_batch(organisation, admin_user, **full_batch())
    assert job.state == "done", job.options
    assert not marked(Course, "code") and not marked(Section, "name")


def test_restore_states_takes_off_exactly_the_course_and_section_marks_it_set(
    catalogue, organisation, admin_user
):
    job = listing(organisation, admin_user, course="C-S1", section="S-S1")
    assert marked(Course, "sis_course_id") == {"C-F1", "C-F2"}
    assert marked(Section, "sis_section_id") == {"S-F1", "S-F2"}
    # Someone took one mark off and set it again after the import: that mark is theirs.
    again = Course.objects.filter(sis_course_id="C-F1")
    enrollment_services.courses_clear_deletion_mark(again, by=admin_user, reason="Checked")
    enrollment_services.courses_mark_for_deletion(again, by=admin_user, reason="Ending")
    progress = restore(job, admin_user)
    assert progress.workflow_state == "completed", progress.message
    assert marked(Course, "sis_course_id") == {"C-F1"}
    assert not marked(Section, "name")
    assert (progress.results["courses_unmarked"], progress.results["sections_unmarked"]) == (1, 2)
    assert "Took the “to be deleted” mark off 1 courses and 2 sections" in progress.message
    record = Section.objects.get(sis_section_id="S-F2").history.order_by("-history_id").first()
    assert record.history_change_reason.startswith(f"Restore states of SIS import {job.pk}")
    assert record.marked_for_deletion_at is None
