"""Applying a previewed import of courses, sections or enrolments: set-based, one
transaction, one history row per created or changed object, the importing admin as actor.

State changes of enrolments go through `enrollments_set_state`, whose history row also
carries the enrolment's other changes, so each enrolment still gets exactly one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from enrollments.models import (
    Course,
    Enrollment,
    EnrollmentMethod,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentTerm,
    EnrollmentType,
    Section,
)
from enrollments.selectors import everyone_user_ids
from enrollments.services.courses import _enrol_set
from enrollments.services.enrollments import enrollments_set_state
from lms_admin.plumbing import figures
from lms_admin.plumbing.bulk import insert_rows, update_rows
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import batched, insert_history_rows

BATCH = 2000
COURSE_FIELDS = (
    "code",
    "name",
    "sis_course_id",
    "organisation_id",
    "term_id",
    "start_date",
    "end_date",
)
SECTION_FIELDS = ("name", "sis_section_id")
TERM_FIELDS = ("name", "start_at", "end_at")
ENROLLMENT_FIELDS = ("started_at", "completed_at", "last_activity_at", "score")


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    state_changed: int = 0
    enrolled_in_everyone_courses: int = 0


def _bulk_update(model, changes: dict[int, dict], allowed: tuple[str, ...], **also) -> None:
    """Write field changes, grouped by the set of fields each row changes."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for pk, values in changes.items():
        unknown = set(values) - set(allowed)
        if unknown:
            raise DomainError(f"An import cannot change {', '.join(sorted(unknown))}.")
        groups.setdefault(tuple(sorted(values)), []).append(pk)
    for fields, ids in groups.items():
        names = [*fields, *also]
        update_rows(
            model,
            names,
            [(pk, *(changes[pk][name] for name in fields), *also.values()) for pk in ids],
        )


def _lock(model, ids) -> None:
    for batch in batched(sorted(ids)):
        list(model.objects.filter(id__in=batch).select_for_update().values_list("id", flat=True))


def _insert(model, rows: list[dict], *, by, reason: str, now) -> list[int]:
    ids = insert_rows(model, rows)
    for batch in batched(ids):
        insert_history_rows(model, batch, by=by, reason=reason, history_type="+", when=now)
    return ids


@transaction.atomic
def courses_apply_import(
    *, create: list[dict], update: dict[int, dict], methods: dict[int, str], by, reason: str
) -> ImportOutcome:
    """New courses (each with its default section), field changes, and enrolment methods.

    A course switched to "everyone" enrols all its people, silently, as in the admin.
    """
    now = timezone.now()
    _lock(Course, [*update, *methods])
    course_rows = [{"created_at": now, **values} for values in create]
    course_ids = _insert(Course, course_rows, by=by, reason=reason, now=now)
    _insert(
        Section,
        [
            {
                "course_id": pk,
                "name": f"{row['code']} (default section)",
                "is_default": True,
                "created_at": now,
            }
            for pk, row in zip(course_ids, course_rows, strict=True)
        ],
        by=by,
        reason=reason,
        now=now,
    )
    outcome = ImportOutcome(created=len(course_ids), updated=len(update))
    _bulk_update(Course, update, COURSE_FIELDS)
    _bulk_update(
        Course,
        {pk: {"enrollment_method": method} for pk, method in methods.items()},
        ("enrollment_method",),
    )
    changed = sorted({*update, *methods})
    for batch in batched(changed):
        insert_history_rows(Course, batch, by=by, reason=reason, when=now)
    everyone = [
        pk
        for pk, row in zip(course_ids, course_rows, strict=True)
        if row.get("enrollment_method") == EnrollmentMethod.EVERYONE
    ]
    everyone += [pk for pk, method in methods.items() if method == EnrollmentMethod.EVERYONE]
    newly_everyone = list(Course.objects.filter(id__in=everyone))
    for course in newly_everyone:
        outcome.enrolled_in_everyone_courses += _enrol_set(
            everyone_user_ids(course),
            section=Section.objects.get(course=course, is_default=True),
            type=EnrollmentType.STUDENT,
            source=EnrollmentSource.EVERYONE,
            by=by,
            reason=reason,
        )
    return outcome


@transaction.atomic
def terms_apply_import(*, create: list[dict], update: dict[int, dict], by, reason: str):
    """New terms, and changes of their names and dates (a term never changes organisation
    or SIS term ID through an import: those are how it is found)."""
    return _apply_plain(
        EnrollmentTerm, TERM_FIELDS, create=create, update=update, by=by, reason=reason
    )


@transaction.atomic
def sections_apply_import(
    *, create: list[dict], update: dict[int, dict], by, reason: str
) -> ImportOutcome:
    return _apply_plain(Section, SECTION_FIELDS, create=create, update=update, by=by, reason=reason)


def _apply_plain(model, fields, *, create: list[dict], update: dict[int, dict], by, reason: str):
    """New rows and field changes of a model with nothing else to it (sections, terms)."""
    now = timezone.now()
    _lock(model, update)
    created = _insert(
        model,
        [{"created_at": now, **values} for values in create],
        by=by,
        reason=reason,
        now=now,
    )
    _bulk_update(model, update, fields)
    for batch in batched(sorted(update)):
        insert_history_rows(model, batch, by=by, reason=reason, when=now)
    return ImportOutcome(created=len(created), updated=len(update))


@transaction.atomic
def enrollments_apply_import(
    *,
    create: list[dict],
    update: dict[int, dict],
    state: dict[str, list[int]],
    by,
    reason: str,
) -> ImportOutcome:
    """New enrolments (no notices: an import is a migration, not an invitation), field
    changes, and state changes. Nobody ever moves to another section."""
    now = timezone.now()
    moving = {pk for ids in state.values() for pk in ids}
    _lock(Enrollment, {*update, *moving})
    rows = []
    for values in create:
        values = dict(values)
        if values.get("state") == EnrollmentState.COMPLETED and not values.get("completed_at"):
            values["completed_at"] = now
        rows.append(
            {"source": EnrollmentSource.IMPORT, "created_at": now, "updated_at": now, **values}
        )
    created = _insert(Enrollment, rows, by=by, reason=reason, now=now)
    figures.enrollments_added(created, now=now)
    _bulk_update(Enrollment, update, ENROLLMENT_FIELDS, updated_at=now)
    only_fields = [pk for pk in update if pk not in moving]
    for batch in batched(only_fields):
        insert_history_rows(Enrollment, batch, by=by, reason=reason, when=now)
    outcome = ImportOutcome(created=len(created), updated=len(update))
    for target, ids in state.items():
        for batch in batched(ids):
            outcome.state_changed += enrollments_set_state(
                Enrollment.objects.filter(id__in=batch), target, by=by, reason=reason
            )
    if outcome.state_changed != len(moving):
        raise DomainError(
            "Some enrolments changed while the import ran; nothing was imported. "
            "Preview the file again."
        )
    return outcome
