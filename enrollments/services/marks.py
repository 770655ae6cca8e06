"""The "to be deleted" mark on enrolments, courses and sections: a candidate for deletion to
review on its page, then delete (enrolments) or unmark. Marking deletes nothing. An SIS
import's batch mode for a term marks the term's enrolments, courses and sections it omits;
restore_states takes those marks off. Who set or took off a mark, when and why, is in the
row's history.

Each kind has `<kind>_mark_for_deletion(rows, *, by, reason)` and
`<kind>_clear_deletion_mark(rows, *, by, reason)`, both returning the ids they changed; a
row marked already (or not marked, to clear), or a deleted enrolment, is passed over."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrollments.models import Course, Enrollment, EnrollmentState, Section
from lms_admin.plumbing.history import batched, insert_history_rows


def _marking(model, *, mark: bool) -> Callable[..., list[int]]:
    """The service that marks (mark=True) or unmarks rows of `model`, one history row each."""

    @transaction.atomic
    def service(rows: QuerySet, *, by, reason: str) -> list[int]:
        chosen = model.objects.filter(
            id__in=rows.order_by().values("id"), marked_for_deletion_at__isnull=mark
        )
        if model is Enrollment and mark:
            chosen = chosen.exclude(state=EnrollmentState.DELETED)
        ids = list(chosen.select_for_update().order_by("id").values_list("id", flat=True))
        at = timezone.now() if mark else None
        for batch in batched(ids):
            model.objects.filter(id__in=batch).update(marked_for_deletion_at=at)
            insert_history_rows(model, batch, by=by, reason=reason, when=at or timezone.now())
        return ids

    plural = model._meta.verbose_name_plural
    service.__doc__ = (
        f"{'Mark these' if mark else 'Take the mark off these'} {plural}; returns their ids."
    )
    return service


enrollments_mark_for_deletion = _marking(Enrollment, mark=True)
enrollments_clear_deletion_mark = _marking(Enrollment, mark=False)
courses_mark_for_deletion = _marking(Course, mark=True)
courses_clear_deletion_mark = _marking(Course, mark=False)
sections_mark_for_deletion = _marking(Section, mark=True)
sections_clear_deletion_mark = _marking(Section, mark=False)
