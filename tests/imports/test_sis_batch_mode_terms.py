"""Batch mode for a term: the term's enrolments the batch omits are marked "to be deleted"
(never deleted), nothing outside the term is touched, and restore_states takes exactly those
marks off again."""

import pytest
from django.test import TestCase

from enrollments import services as enrollment_services
from enrollments.models import Course, Enrollment, EnrollmentTerm
from imports.models import ImportJob
from imports.sis_services import sis_import_restore_states
from lms_admin.plumbing.errors import DomainError
from users.models import User

from .helpers import zipped
from .test_sis_terms import (  # noqa: F401  (nightly and tasks_now are fixtures)
    COURSES,
    TERMS,
    USERS,
    enrolments,
    nightly,
    sis,
    tasks_now,
)

pytestmark = pytest.mark.django_db


def fall_batch(organisation, by, content: bytes, term="sis_term_id:FALL25") -> ImportJob:
    """An SIS import in batch mode for a term (the fall one unless said)."""
    return sis(organisation, by, content, batch_mode=True, batch_mode_term_id=term)


def restore(job, by):
    with TestCase.captureOnCommitCallbacks(execute=True):
        progress = sis_import_restore_states(job, by=by)
    progress.refresh_from_db()
    return progress


def enrolment(course: str, n: int) -> Enrollment:
    return Enrollment.objects.get(course__sis_course_id=course, user__sis_user_id=f"U-{n}")


def marked_people() -> set[str]:
    marked = User.objects.filter(marked_for_deletion_at__isnull=False)
    return set(marked.values_list("sis_user_id", flat=True))


def marked_enrolments() -> set[tuple[str, str]]:
    return set(
        Enrollment.objects.filter(marked_for_deletion_at__isnull=False).values_list(
            "course__sis_course_id", "user__sis_user_id"
        )
    )


@pytest.mark.usefixtures("nightly")
def test_batch_mode_for_a_term_marks_only_that_terms_omitted_enrolments(
    organisation, partner, admin_user, make_user
):
    outsider = make_user(username="pat", sis_user_id="P-1", organisation=partner)
    enrollment_services.enrollment_create(
        user=outsider,
        course=Course.objects.get(sis_course_id="C-F1"),
        by=admin_user,
        reason="Test set-up",
        notify=False,
    )
    states_before = dict(Enrollment.objects.values_list("id", "state"))
    fall = EnrollmentTerm.objects.get(sis_term_id="FALL25")
    job = sis(
        organisation,
        admin_user,
        zipped(
            **{
                "terms.csv": TERMS,
                "courses.csv": COURSES,
                # cy (fall only), dee (spring too) and eve (no enrolment) are left out.
                "users.csv": USERS.split("U-3")[0],
                # bob's fall one and cy's fall two are left out; bob joins fall two.
                "enrollments.csv": enrolments(("C-F1", 1), ("C-F2", 4), ("C-F2", 2)),
            }
        ),
        batch_mode=True,
        batch_mode_term_id=f"sis_term_id:{fall.sis_term_id}",
    )
    assert job.state == "done", job.options
    assert job.options["batch_mode_term_id"] == str(fall.pk)
    # Only the term's omitted enrolments of the account's people: not the spring ones, not
    # the one created tonight, not another organisation's person's.
    assert marked_enrolments() == {("C-F1", "U-2"), ("C-F2", "U-3")}
    # Nothing was deleted or changed state.
    assert {pk: state for pk, state in Enrollment.objects.values_list("id", "state")} == {
        **states_before,
        enrolment("C-F2", 2).pk: "active",
    }
    # People: only those whose every enrolment is in the term.
    assert marked_people() == {"U-3"}
    warnings = dict(job.options["warnings"])
    assert "1 people not in this batch" in warnings["users.csv"] and "U-3" in warnings["users.csv"]
    assert "2 enrolments of the term not in this batch" in warnings["enrollments.csv"]
    assert "U-2 in FALL1" in warnings["enrollments.csv"]
    assert "U-3 in FALL2" in warnings["enrollments.csv"]
    assert "Fall 2025" in warnings["enrollments.csv"]
    record = enrolment("C-F1", 2).history.order_by("-history_id").first()
    assert (record.history_user_id, record.history_change_reason) == (
        admin_user.pk,
        f"Batch mode of SIS import {job.pk}: not in the batch",
    )


@pytest.mark.usefixtures("nightly")
def test_batch_mode_for_a_term_without_enrolments_file_marks_no_enrolment(organisation, admin_user):
    job = fall_batch(organisation, admin_user, USERS.encode())
    assert job.state == "done"
    assert not marked_enrolments()
    assert any("no enrollments.csv" in message for _, message in job.options["warnings"])


@pytest.mark.usefixtures("nightly")
def test_restore_states_takes_off_exactly_the_marks_batch_mode_set(organisation, admin_user):
    job = fall_batch(
        organisation,
        admin_user,
        zipped(
            **{
                "users.csv": USERS.split("U-3")[0],
                "enrollments.csv": enrolments(("C-F1", 1), ("C-F2", 4)),
            }
        ),
    )
    assert marked_enrolments() == {("C-F1", "U-2"), ("C-F2", "U-3")}
    # Someone took one mark off and set it again after the import: that mark is theirs.
    again = Enrollment.objects.filter(pk=enrolment("C-F1", 2).pk)
    enrollment_services.enrollments_clear_deletion_mark(again, by=admin_user, reason="Checked")
    enrollment_services.enrollments_mark_for_deletion(again, by=admin_user, reason="Leaving")
    progress = restore(job, admin_user)
    assert progress.workflow_state == "completed", progress.message
    assert marked_enrolments() == {("C-F1", "U-2")}
    assert not marked_people()
    assert (progress.results["enrollments_unmarked"], progress.results["users_unmarked"]) == (1, 1)
    assert "Took the “to be deleted” mark off 1 people and 1 enrolments" in progress.message
    record = enrolment("C-F2", 3).history.order_by("-history_id").first()
    assert record.history_change_reason.startswith(f"Restore states of SIS import {job.pk}")
    assert record.marked_for_deletion_at is None


@pytest.mark.usefixtures("nightly")
def test_restore_states_also_undoes_account_batch_mode_marks(organisation, admin_user):
    people = USERS.split("U-5")[0].encode()
    job = sis(organisation, admin_user, people, batch_mode=True)
    assert marked_people() == {"U-5"}
    assert restore(job, admin_user).workflow_state == "completed"
    assert not marked_people()


@pytest.mark.parametrize("term", ["sis_term_id:NOPE", "987654", "nonsense"])
def test_an_unknown_batch_mode_term_is_refused_and_nothing_stored(organisation, admin_user, term):
    with pytest.raises(DomainError, match="batch_mode_term_id: no term"):
        fall_batch(organisation, admin_user, USERS.encode(), term=term)
    assert not ImportJob.objects.exists()


def test_another_organisations_term_is_not_the_accounts(organisation, partner, admin_user):
    theirs = enrollment_services.term_create(
        name="Partner fall", sis_term_id="FALL25", organisation=partner, by=admin_user, reason="t"
    )
    for value in (str(theirs.pk), "sis_term_id:FALL25"):
        with pytest.raises(DomainError, match="no term"):
            fall_batch(organisation, admin_user, USERS.encode(), term=value)
    # A shared term, or one of an organisation above the account, is the account's too.
    shared = enrollment_services.term_create(
        name="Everyone's fall", sis_term_id="FALL25", by=admin_user, reason="t"
    )
    job = fall_batch(organisation, admin_user, USERS.encode())
    assert job.options["batch_mode_term_id"] == str(shared.pk)


def test_without_batch_mode_the_term_is_dropped_as_canvas_does(organisation, admin_user):
    job = sis(organisation, admin_user, USERS.encode(), batch_mode_term_id="x")
    assert job.state == "done"
    assert "batch_mode_term_id" not in job.options


# terms.csv as a file of its own ------------------------------------------------------------
