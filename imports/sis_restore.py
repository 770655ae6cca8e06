"""restore_states: undo the status changes an SIS import made, through the lifecycle
services (so each undo has its history, actor and reason), and take off the "to be deleted"
marks its batch mode set (from its journal, BatchModeMark), all or nothing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import Course, Enrollment, Section
from imports.models import (
    BatchMarkKind,
    ImportKind,
    ImportPlan,
    Progress,
    ProgressState,
    RowOutcome,
)
from lms_admin.plumbing.errors import DomainError
from users import services as user_services
from users.models import User, UserStatus

logger = logging.getLogger(__name__)


def _status_changes(job, kind: str) -> list[tuple[int, str, str]]:
    """(object id, state before, state after) of each status change the import made."""
    found = []
    for part in job.parts.filter(kind=kind):
        for plans in ImportPlan.objects.filter(job=part).values_list("plans", flat=True):
            for plan in plans:
                if plan["outcome"] == RowOutcome.STATUS and plan["was"] and plan["status"]:
                    found.append((plan["target"], plan["was"], plan["status"]))
    return found


def _restore_user(user: User, was: str, *, by, reason: str) -> bool:
    now = user.status
    if now == was:
        return False
    if now == UserStatus.DELETED:
        user_services.user_undelete(user, by=by, reason=reason)
        user.refresh_from_db()
        now = user.status
    if was == UserStatus.ACTIVE and now == UserStatus.INACTIVE:
        user_services.user_reactivate(user, by=by, reason=reason)
    elif was == UserStatus.INACTIVE and now == UserStatus.ACTIVE:
        user_services.user_deactivate(user, by=by, reason=reason)
    elif was == UserStatus.DELETED:
        user_services.user_delete(user, by=by, reason=reason)
    return True


# What takes a batch-mode mark off each kind of row (people have their own door).
UNMARK = {
    BatchMarkKind.ENROLLMENTS: (Enrollment, enrollment_services.enrollments_clear_deletion_mark),
    BatchMarkKind.COURSES: (Course, enrollment_services.courses_clear_deletion_mark),
    BatchMarkKind.SECTIONS: (Section, enrollment_services.sections_clear_deletion_mark),
}


def _take_marks_off(job, *, by, reason: str) -> dict[str, int]:
    """Unmark what the import's batch mode marked, where that mark is still on (not one
    taken off, or set again, since)."""
    counts = {f"{kind}_unmarked": 0 for kind in BatchMarkKind.values}
    for mark in job.batch_marks.order_by("id"):
        if mark.kind == BatchMarkKind.USERS:
            still = User.objects.filter(id__in=mark.ids, marked_for_deletion_at=mark.marked_at)
            outcome = user_services.users_clear_deletion_mark(still, by=by, reason=reason)
            counts["users_unmarked"] += outcome.changed
            continue
        model, unmark = UNMARK[mark.kind]
        still = model.objects.filter(id__in=mark.ids, marked_for_deletion_at=mark.marked_at)
        counts[f"{mark.kind}_unmarked"] += len(unmark(still, by=by, reason=reason))
    return counts


def restore_states(progress_id: int) -> str:
    progress = Progress.objects.select_related("job", "user").get(pk=progress_id)
    job, by = progress.job, progress.user
    reason = f"Restore states of SIS import {job.pk} ({job.file_name})"
    Progress.objects.filter(pk=progress.pk).update(
        workflow_state=ProgressState.RUNNING, updated_at=timezone.now()
    )
    restored = {"users": 0, "enrollments": 0}
    restored |= {f"{kind}_unmarked": 0 for kind in BatchMarkKind.values}
    try:
        with transaction.atomic():
            people = _status_changes(job, ImportKind.USERS)
            found = User.objects.in_bulk([target for target, _, _ in people])
            for target, was, _ in people:
                if target in found and _restore_user(found[target], was, by=by, reason=reason):
                    restored["users"] += 1
            enrolments = _status_changes(job, ImportKind.ENROLLMENTS)
            found = Enrollment.objects.in_bulk([target for target, _, _ in enrolments])
            for target, was, _ in enrolments:
                enrollment = found.get(target)
                if enrollment is not None and enrollment.state != was:
                    enrollment_services.enrollment_set_state(enrollment, was, by=by, reason=reason)
                    restored["enrollments"] += 1
            restored |= _take_marks_off(job, by=by, reason=reason)
    except DomainError as error:
        return _end(progress, ProgressState.FAILED, f"Nothing was restored: {error}", restored)
    except Exception as error:
        logger.exception("Restoring states of SIS import %s failed", job.pk)
        return _end(progress, ProgressState.FAILED, f"Nothing was restored ({error}).", restored)
    message = (
        f"Restored {restored['users']} people and {restored['enrollments']} enrolments "
        "to the states they had before the import."
    )
    if restored["users_unmarked"] or restored["enrollments_unmarked"]:
        message += (
            f" Took the “to be deleted” mark off {restored['users_unmarked']} people and "
            f"{restored['enrollments_unmarked']} enrolments that its batch mode had marked."
        )
    if restored["courses_unmarked"] or restored["sections_unmarked"]:
        message += (
            f" Took the “to be deleted” mark off {restored['courses_unmarked']} courses and "
            f"{restored['sections_unmarked']} sections that its batch mode had marked."
        )
    return _end(progress, ProgressState.COMPLETED, message, restored)


def _end(progress, state, message, results) -> str:
    if state == ProgressState.FAILED:
        # Let it be tried again: the undo changed nothing.
        progress.job.__class__.objects.filter(pk=progress.job_id).update(restored_at=None)
    Progress.objects.filter(pk=progress.pk).update(
        workflow_state=state,
        completion=100,
        message=message,
        results=results,
        updated_at=timezone.now(),
    )
    return state
