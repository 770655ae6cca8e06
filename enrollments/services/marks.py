"""The "to be deleted" mark on enrolments, courses and sections: a candidate for deletion to
review on its page, then delete (enrolments) or unmark. Marking deletes nothing. An SIS
import's batch mode for a term marks the term's enrolments, courses and sections it omits;
restore_states takes those marks off. Who set or took off a mark, when and why, is in the
row's history."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrollments.models import Course, Enrollment, EnrollmentState, Section
from lms_admin.plumbing.history import batched, insert_history_rows


@transaction.atomic
def enrollments_mark_for_deletion(enrollments: QuerySet, *, by, reason: str) -> list[int]:
    """Mark these enrolments; a deleted one, or one marked already, is passed over.
    Returns the ids it marked."""
    ids = _locked_ids(Enrollment, enrollments, marked_for_deletion_at__isnull=True)
    return _set_mark(Enrollment, ids, at=timezone.now(), by=by, reason=reason)


@transaction.atomic
def enrollments_clear_deletion_mark(enrollments: QuerySet, *, by, reason: str) -> list[int]:
    """Take the mark off these enrolments. Returns the ids it unmarked."""
    ids = _locked_ids(Enrollment, enrollments, marked_for_deletion_at__isnull=False)
    return _set_mark(Enrollment, ids, at=None, by=by, reason=reason)


@transaction.atomic
def courses_mark_for_deletion(courses: QuerySet, *, by, reason: str) -> list[int]:
    """Mark these courses (not one marked already). Returns the ids it marked."""
    ids = _locked_ids(Course, courses, marked_for_deletion_at__isnull=True)
    return _set_mark(Course, ids, at=timezone.now(), by=by, reason=reason)


@transaction.atomic
def courses_clear_deletion_mark(courses: QuerySet, *, by, reason: str) -> list[int]:
    """Take the mark off these courses. Returns the ids it unmarked."""
    ids = _locked_ids(Course, courses, marked_for_deletion_at__isnull=False)
    return _set_mark(Course, ids, at=None, by=by, reason=reason)


@transaction.atomic
def sections_mark_for_deletion(sections: QuerySet, *, by, reason: str) -> list[int]:
    """Mark these sections (not one marked already). Returns the ids it marked."""
    ids = _locked_ids(Section, sections, marked_for_deletion_at__isnull=True)
    return _set_mark(Section, ids, at=timezone.now(), by=by, reason=reason)


@transaction.atomic
def sections_clear_deletion_mark(sections: QuerySet, *, by, reason: str) -> list[int]:
    """Take the mark off these sections. Returns the ids it unmarked."""
    ids = _locked_ids(Section, sections, marked_for_deletion_at__isnull=False)
    return _set_mark(Section, ids, at=None, by=by, reason=reason)


def _locked_ids(model, rows: QuerySet, **condition) -> list[int]:
    chosen = model.objects.filter(id__in=rows.order_by().values("id"), **condition)
    if model is Enrollment and condition.get("marked_for_deletion_at__isnull"):
        chosen = chosen.exclude(state=EnrollmentState.DELETED)
    return list(chosen.select_for_update().order_by("id").values_list("id", flat=True))


def _set_mark(model, ids: list[int], *, at, by, reason: str) -> list[int]:
    """Mark (at a time) or unmark (at None) these rows, one history row each."""
    now = at or timezone.now()
    for batch in batched(ids):
        model.objects.filter(id__in=batch).update(marked_for_deletion_at=at)
        insert_history_rows(model, batch, by=by, reason=reason, when=now)
    return ids
