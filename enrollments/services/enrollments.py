"""Every change to courses, sections and enrolments.

Each function is atomic, locks the rows it changes, writes history with actor and reason,
and defers mail to after commit. Enrolment states are never rewritten by a user's status:
the only bulk state changes here are the ones a user deletion or undeletion asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from enrollments import notices
from enrollments.models import (
    Certificate,
    Course,
    Enrollment,
    EnrollmentMethod,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentType,
    Section,
)
from enrollments.selectors import (
    default_section,
    enrollable,
    enrolment_selection,
    everyone_user_ids,
)
from enrollments.services.courses import _enrol_set
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import (
    batched,
    create_with_history,
    insert_history_rows,
    save_with_history,
)
from users.models import User, UserStatus

# Enrolments -----------------------------------------------------------------------------


def _check_section(course: Course, section: Section | None) -> Section:
    if section is None:
        return default_section(course)
    if section.course_id != course.pk:
        raise DomainError(f"The section {section.name} belongs to another course.")
    return section


@transaction.atomic
def enrollment_create(
    *,
    user: User,
    course: Course,
    section: Section | None = None,
    type: str = EnrollmentType.STUDENT,
    state: str = EnrollmentState.ACTIVE,
    source: str = EnrollmentSource.MANUAL,
    notify: bool = True,
    by,
    reason: str,
) -> Enrollment:
    """Enrol one person; the course's default section when none is given.

    Inactive people may be enrolled (they get no notice); deleted people may not.
    """
    section = _check_section(course, section)
    if user.status == UserStatus.DELETED:
        raise DomainError(f"{user.get_full_name()} is deleted; undelete them before enrolling.")
    if state == EnrollmentState.DELETED or state not in EnrollmentState.values:
        raise DomainError(f"An enrolment cannot start in the state {state!r}.")
    if type not in EnrollmentType.values:
        raise DomainError(f"Unknown enrolment role: {type!r}.")
    if Enrollment.objects.filter(user=user, section=section, type=type).exists():
        raise DomainError(
            f"{user.get_full_name()} already has the role {EnrollmentType(type).label} "
            f"in {section.name}."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            enrollment = create_with_history(
                Enrollment,
                by=by,
                reason=reason,
                user=user,
                course=course,
                section=section,
                type=type,
                state=state,
                source=source,
                created_at=now,
                updated_at=now,
                completed_at=now if state == EnrollmentState.COMPLETED else None,
            )
    except (ValidationError, IntegrityError) as error:
        raise DomainError(
            f"{user.get_full_name()} already has the role {EnrollmentType(type).label} "
            f"in {section.name}."
        ) from error
    figures.enrollments_added([enrollment.pk], now=now)
    if notify and user.is_active:
        kind = notices.INVITATION if state == EnrollmentState.INVITED else notices.ENROLMENT
        notices.notify_after_commit(kind, [enrollment.pk])
    return enrollment


def _apply_state(enrollment: Enrollment, state: str, now) -> list[str]:
    """Set the fields a move to `state` implies; returns the fields that changed."""
    fields = ["state", "updated_at"]
    if state == EnrollmentState.DELETED:
        enrollment.state_before_delete = enrollment.state
        fields.append("state_before_delete")
        if enrollment.marked_for_deletion_at is not None:
            # A deletion candidate that is deleted is no longer a candidate.
            enrollment.marked_for_deletion_at = None
            fields.append("marked_for_deletion_at")
    elif enrollment.state == EnrollmentState.DELETED:
        enrollment.state_before_delete = ""
        enrollment.deleted_with_user = False
        fields += ["state_before_delete", "deleted_with_user"]
    if state == EnrollmentState.COMPLETED and enrollment.completed_at is None:
        enrollment.completed_at = now
        fields.append("completed_at")
    enrollment.state = state
    enrollment.updated_at = now
    return fields


@transaction.atomic
def enrollment_set_state(enrollment: Enrollment, state: str, *, by, reason: str) -> Enrollment:
    """Move an enrolment to another state. It always stays in its section (seed 001)."""
    if state not in EnrollmentState.values:
        raise DomainError(
            f"Unknown enrolment state {state!r}. Use one of: {', '.join(EnrollmentState.values)}."
        )
    # People before their rows, as every writer does (see reports.ledger_write).
    figures.hold_people([enrollment.user_id])
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.state == state:
        return locked
    now = timezone.now()
    fields = _apply_state(locked, state, now)
    with figures.enrollments_changing([locked.pk], now=now):
        save_with_history(locked, fields, by=by, reason=reason)
    for field in fields:
        setattr(enrollment, field, getattr(locked, field))
    return locked


@transaction.atomic
def enrollments_set_state(enrollments, state: str, *, by, reason: str) -> int:
    """Bulk form of `enrollment_set_state`: set-based, one history row per changed row."""
    if state not in EnrollmentState.values:
        raise DomainError(f"Unknown enrolment state {state!r}.")
    changing = enrollments.exclude(state=state)
    # People before their rows, as every writer does (see reports.ledger_write).
    figures.hold_people(changing.order_by().values_list("user_id", flat=True).distinct())
    ids = list(changing.select_for_update().values_list("id", flat=True))
    now = timezone.now()
    for batch in batched(ids):
        rows = Enrollment.objects.filter(id__in=batch)
        with figures.enrollments_changing(batch, now=now):
            if state == EnrollmentState.DELETED:
                rows.update(
                    state_before_delete=F("state"),
                    state=state,
                    updated_at=now,
                    marked_for_deletion_at=None,
                )
            else:
                rows.filter(state=EnrollmentState.DELETED).update(
                    state_before_delete="", deleted_with_user=False
                )
                if state == EnrollmentState.COMPLETED:
                    rows.filter(completed_at__isnull=True).update(completed_at=now)
                rows.update(state=state, updated_at=now)
        insert_history_rows(Enrollment, batch, by=by, reason=reason, when=now)
    return len(ids)


@transaction.atomic
def enrollment_record_progress(
    enrollment: Enrollment,
    *,
    started_at=None,
    last_activity_at=None,
    score=None,
    clear=(),
    by,
    reason: str,
) -> Enrollment:
    """Record a learner's progress (start, activity, score) without changing the state.

    A value of None means "leave as it is"; name a field in `clear` to empty it."""
    unknown = set(clear) - {"started_at", "last_activity_at", "score"}
    if unknown:
        raise DomainError(f"These fields cannot be cleared: {', '.join(sorted(unknown))}.")
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    changes = {
        name: value
        for name, value in (
            ("started_at", started_at),
            ("last_activity_at", last_activity_at),
            ("score", score),
        )
        if value is not None and getattr(locked, name) != value
    }
    changes.update({name: None for name in clear if getattr(locked, name) is not None})
    if not changes:
        return locked
    if score is not None and score < 0:
        raise DomainError("A score cannot be negative.")
    for name, value in changes.items():
        setattr(locked, name, value)
        setattr(enrollment, name, value)
    locked.updated_at = timezone.now()
    save_with_history(locked, [*changes, "updated_at"], by=by, reason=reason)
    return locked


@transaction.atomic
def certificate_issue(enrollment: Enrollment, *, by, reason: str) -> Certificate:
    """Issue a certificate for a completed enrolment."""
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.state != EnrollmentState.COMPLETED:
        raise DomainError("Only a completed enrolment can earn a certificate.")
    certificate = create_with_history(
        Certificate, by=by, reason=reason, enrollment=locked, issued_at=timezone.now()
    )
    notices.notify_after_commit(notices.CERTIFICATE, [certificate.pk])
    return certificate


@dataclass
class EnrolOutcome:
    created: int = 0
    already_enrolled: int = 0
    skipped_inactive: int = 0
    skipped_deleted: int = 0


@transaction.atomic
def enrollments_create(
    users,
    *,
    course: Course,
    section: Section | None = None,
    type: str = EnrollmentType.STUDENT,
    include_inactive: bool = False,
    source: str = EnrollmentSource.MANUAL,
    by,
    reason: str,
) -> EnrolOutcome:
    """Enrol a selection of users, set-based. Inactive people are skipped unless asked for,
    and then enrolled silently; deleted people never. Active people are told by email."""
    section = _check_section(course, section)
    if type not in EnrollmentType.values:
        raise DomainError(f"Unknown enrolment role: {type!r}.")
    selection = enrolment_selection(users)
    outcome = EnrolOutcome(skipped_deleted=selection.filter(status=UserStatus.DELETED).count())
    if not include_inactive:
        outcome.skipped_inactive = selection.filter(status=UserStatus.INACTIVE).count()
    eligible = selection.filter(enrollable(include_inactive=include_inactive))
    ids = list(eligible.values_list("id", flat=True))
    before = set(
        Enrollment.objects.filter(section=section, type=type, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    outcome.already_enrolled = len(before)
    outcome.created = _enrol_set(
        ids, section=section, type=type, source=source, by=by, reason=reason
    )
    new_ids = [user_id for user_id in ids if user_id not in before]
    # Only active people are told (the task checks again when it sends).
    told = Enrollment.objects.filter(
        section=section, type=type, user__status=UserStatus.ACTIVE
    ).exclude(user__email="")
    for batch in batched(new_ids):
        notices.notify_after_commit(
            notices.ENROLMENT, told.filter(user_id__in=batch).values_list("id", flat=True)
        )
    return outcome


def enrollments_create_for_new_user(user: User, *, by, reason: str) -> int:
    """Enrol a newly created user in every "everyone" course that covers their organisation."""
    organisation_ids = [None]
    organisation = user.organisation
    while organisation is not None:
        organisation_ids.append(organisation.pk)
        organisation = organisation.parent
    courses = Course.objects.filter(
        Q(organisation_id__in=[i for i in organisation_ids if i]) | Q(organisation__isnull=True),
        enrollment_method=EnrollmentMethod.EVERYONE,
    )
    return sum(
        _enrol_in_everyone_course(course, [user.pk], by=by, reason=reason) for course in courses
    )


def enrollments_create_for_new_users(user_ids: list[int], *, by, reason: str) -> int:
    """Set-based form of `enrollments_create_for_new_user`, for people created in bulk."""
    if not user_ids:
        return 0
    created = 0
    for course in Course.objects.filter(enrollment_method=EnrollmentMethod.EVERYONE):
        covered = everyone_user_ids(course)
        for batch in batched(user_ids):
            created += _enrol_in_everyone_course(
                course, list(covered.filter(id__in=batch)), by=by, reason=reason
            )
    return created


def _enrol_in_everyone_course(course: Course, user_ids: list[int], *, by, reason: str) -> int:
    """Enrol people an "everyone" course covers as its students, silently, as joining does."""
    return _enrol_set(
        user_ids,
        section=default_section(course),
        type=EnrollmentType.STUDENT,
        source=EnrollmentSource.EVERYONE,
        by=by,
        reason=reason,
    )


def enrollments_delete_for_users(user_ids: list[int], *, by, reason: str) -> int:
    """Mark every live enrolment of these users deleted, remembering each one's state.

    Only for deleting these users: the caller's `figures.people_changing` bracket counts
    the enrolments' move along with the people's, so nothing is written to the ledger here.
    """
    changed = 0
    now = timezone.now()
    for batch in batched(user_ids):
        ids = list(
            Enrollment.objects.filter(user_id__in=batch)
            .exclude(state=EnrollmentState.DELETED)
            .select_for_update()
            .values_list("id", flat=True)
        )
        for id_batch in batched(ids):
            Enrollment.objects.filter(id__in=id_batch).update(
                state_before_delete=F("state"),
                state=EnrollmentState.DELETED,
                deleted_with_user=True,
                updated_at=now,
            )
            insert_history_rows(Enrollment, id_batch, by=by, reason=reason, when=now)
        changed += len(ids)
    return changed


def enrollments_undelete_for_users(user_ids: list[int], *, by, reason: str) -> int:
    """Put back every enrolment that was deleted with these users, in its exact prior state.

    Only for undeleting these users: as with deletion, the caller's bracket counts it.
    """
    changed = 0
    now = timezone.now()
    for batch in batched(user_ids):
        ids = list(
            Enrollment.objects.filter(
                user_id__in=batch, state=EnrollmentState.DELETED, deleted_with_user=True
            )
            .select_for_update()
            .values_list("id", flat=True)
        )
        for id_batch in batched(ids):
            Enrollment.objects.filter(id__in=id_batch).update(
                state=F("state_before_delete"),
                state_before_delete="",
                deleted_with_user=False,
                updated_at=now,
            )
            insert_history_rows(Enrollment, id_batch, by=by, reason=reason, when=now)
        changed += len(ids)
    return changed
