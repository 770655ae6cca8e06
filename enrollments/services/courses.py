"""Courses and sections, how people join them, and enrolling a set of people at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enrollments.models import (
    Course,
    Enrollment,
    EnrollmentMethod,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentType,
    Section,
)
from enrollments.selectors import default_section, everyone_user_ids, term_refusal
from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import (
    batched,
    create_with_history,
    insert_history_rows,
    save_with_history,
    update_with_history,
)


def _validation_message(error: ValidationError) -> str:
    return " ".join(error.messages)


# Courses and sections ------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    code: str,
    name: str,
    organisation=None,
    sis_course_id: str | None = None,
    enrollment_method: str = EnrollmentMethod.MANUAL,
    start_date=None,
    end_date=None,
    term=None,
    by,
    reason: str,
) -> Course:
    """Create a course with its default section; an "everyone" course enrols its people.
    Its term must be one its organisation may use (its own, a parent's, or a shared one)."""
    _check_term(term, organisation)
    try:
        course = create_with_history(
            Course,
            by=by,
            reason=reason,
            code=code,
            name=name,
            organisation=organisation,
            sis_course_id=sis_course_id or None,
            start_date=start_date,
            end_date=end_date,
            term=term,
        )
        create_with_history(
            Section,
            by=by,
            reason=reason,
            course=course,
            name=f"{code} (default section)",
            is_default=True,
        )
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error
    if enrollment_method != EnrollmentMethod.MANUAL:
        course_set_enrollment_method(course, enrollment_method, by=by, reason=reason)
    return course


# What a course's own page changes; the enrolment method has its own service.
COURSE_FIELDS = (
    "code",
    "name",
    "sis_course_id",
    "organisation",
    "term",
    "start_date",
    "end_date",
)
SECTION_FIELDS = ("name", "sis_section_id")


@transaction.atomic
def course_update(course: Course, *, by, reason: str, **changes) -> Course:
    """Change a course's code, name, SIS course ID, organisation, term or dates. Its term
    (new or kept) must be one its organisation (new or kept) may use."""
    if "term" in changes or "organisation" in changes:
        _check_term(
            changes.get("term", course.term), changes.get("organisation", course.organisation)
        )
    if "sis_course_id" in changes:
        changes["sis_course_id"] = changes["sis_course_id"] or None
    try:
        return update_with_history(course, changes, by=by, reason=reason, allowed=COURSE_FIELDS)
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error


def _check_term(term, organisation) -> None:
    refusal = term_refusal(term, organisation)
    if refusal:
        raise DomainError(refusal)


@transaction.atomic
def section_update(section: Section, *, by, reason: str, **changes) -> Section:
    """Rename a section or change its SIS section ID; it stays in its course."""
    if "sis_section_id" in changes:
        changes["sis_section_id"] = changes["sis_section_id"] or None
    try:
        return update_with_history(section, changes, by=by, reason=reason, allowed=SECTION_FIELDS)
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error


@transaction.atomic
def section_create(
    course: Course, *, name: str, sis_section_id: str | None = None, by, reason: str
) -> Section:
    try:
        return create_with_history(
            Section,
            by=by,
            reason=reason,
            course=course,
            name=name,
            sis_section_id=sis_section_id or None,
        )
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error


@transaction.atomic
def course_set_enrollment_method(course: Course, method: str, *, by, reason: str) -> int:
    """Switch how people join a course; "everyone" enrols all its people, silently.

    Inactive users are enrolled too: they get no notice and no access until reactivated,
    then full access at once. Returns how many enrolments were created.
    """
    if method not in EnrollmentMethod.values:
        raise DomainError(f"Unknown enrolment method: {method!r}.")
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.enrollment_method != method:
        course.enrollment_method = method
        save_with_history(course, ["enrollment_method"], by=by, reason=reason)
    if method != EnrollmentMethod.EVERYONE:
        return 0
    return _enrol_set(
        everyone_user_ids(course),
        section=default_section(course),
        type=EnrollmentType.STUDENT,
        source=EnrollmentSource.EVERYONE,
        by=by,
        reason=reason,
    )


def _enrol_set(
    user_ids: Iterable[int],
    *,
    section: Section,
    type: str,
    source: str,
    by,
    reason: str,
    state: str = EnrollmentState.ACTIVE,
) -> int:
    """Enrol many users in one section, skipping those already there; set-based."""
    created = 0
    now = timezone.now()
    for batch in batched(user_ids):
        existing = set(
            Enrollment.objects.filter(section=section, type=type, user_id__in=batch).values_list(
                "user_id", flat=True
            )
        )
        new = [
            Enrollment(
                user_id=user_id,
                course_id=section.course_id,
                section=section,
                type=type,
                state=state,
                source=source,
                created_at=now,
                updated_at=now,
            )
            for user_id in batch
            if user_id not in existing
        ]
        if not new:
            continue
        Enrollment.objects.bulk_create(new)
        new_ids = list(
            Enrollment.objects.filter(
                section=section, type=type, user_id__in=[row.user_id for row in new]
            ).values_list("id", flat=True)
        )
        insert_history_rows(Enrollment, new_ids, by=by, reason=reason, history_type="+", when=now)
        figures.enrollments_added(new_ids, now=now)
        created += len(new_ids)
    return created
