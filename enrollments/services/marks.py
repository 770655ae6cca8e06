"""The "to be deleted" mark on enrolments: a candidate for deletion to review on the
enrolments page, then delete or unmark. Marking deletes nothing. An SIS import's batch mode
for a term marks the term's enrolments it omits; restore_states takes those marks off."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentState
from lms_admin.plumbing.history import batched, insert_history_rows


@transaction.atomic
def enrollments_mark_for_deletion(enrollments: QuerySet, *, by, reason: str) -> list[int]:
    """Mark these enrolments; a deleted one, or one marked already, is passed over.
    Returns the ids it marked."""
    ids = _locked_ids(enrollments, marked_for_deletion_at__isnull=True)
    return _set_mark(ids, at=timezone.now(), by=by, reason=reason)


@transaction.atomic
def enrollments_clear_deletion_mark(enrollments: QuerySet, *, by, reason: str) -> list[int]:
    """Take the mark off these enrolments. Returns the ids it unmarked."""
    ids = _locked_ids(enrollments, marked_for_deletion_at__isnull=False)
    return _set_mark(ids, at=None, by=by, reason=reason)


def _locked_ids(enrollments: QuerySet, **condition) -> list[int]:
    chosen = Enrollment.objects.filter(id__in=enrollments.order_by().values("id"), **condition)
    if condition.get("marked_for_deletion_at__isnull"):
        chosen = chosen.exclude(state=EnrollmentState.DELETED)
    return list(chosen.select_for_update().order_by("id").values_list("id", flat=True))


def _set_mark(ids: list[int], *, at, by, reason: str) -> list[int]:
    """Mark (at a time) or unmark (at None) these enrolments, one history row each."""
    now = at or timezone.now()
    for batch in batched(ids):
        Enrollment.objects.filter(id__in=batch).update(marked_for_deletion_at=at)
        insert_history_rows(Enrollment, batch, by=by, reason=reason, when=now)
    return ids
