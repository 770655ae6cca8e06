"""Canvas's batch mode, the better way: what the batch omits is marked "to be deleted" for
someone to review, never deleted. Runs in the import's transaction, after its files.

Without a term (`batch_mode=true`): the account's people with an SIS id whom users.csv
omits. For a term (`batch_mode_term_id`): the term's enrolments, of the account's people,
that enrollments.csv omits, and the people whom users.csv omits and whose enrolments are all
in that term; and, when the batch holds courses.csv or sections.csv, the term's courses of
the account (and their sections) with an SIS id that it omits; nothing outside the term is
touched. Every mark is journalled (BatchModeMark), so that restore_states takes exactly
these marks off again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from enrollments import services as enrollment_services
from enrollments.models import (
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    EnrollmentTerm,
    Section,
)
from imports.models import (
    BatchMarkKind,
    BatchModeMark,
    ImportJob,
    ImportKind,
    ImportPlan,
    ImportRow,
    RowOutcome,
)
from lms_admin.plumbing.history import batched
from lms_admin.plumbing.scoping import organisation_tree_ids
from users import services as user_services
from users.models import User, UserStatus

MAX_LISTED = 200


def _sis_ids_in(part: ImportJob) -> set[str]:
    """The SIS ids and usernames of the batch's rows (keys read "username (SIS id)")."""
    found = set()
    for key in ImportRow.objects.filter(job=part).values_list("key", flat=True).iterator():
        username, _, sis = key.partition(" (SIS ")
        found.add(username)
        if sis:
            found.add(sis.removesuffix(")"))
    return found


def _part(parts: list[ImportJob], kind: str) -> ImportJob | None:
    return next((part for part in parts if part.kind == kind), None)


def batch_mode_marks(job: ImportJob, parts: list[ImportJob]) -> list[list[str]]:
    """Mark what the batch omits; returns the warnings that say so."""
    account = organisation_tree_ids(job.organisation_id)
    account_people = User.objects.filter(organisation_id__in=account)
    term_id = job.options.get("batch_mode_term_id")
    if not term_id:
        return _mark_people(job, parts, account_people, scope="")
    term = EnrollmentTerm.objects.get(pk=int(term_id))
    in_term = Enrollment.objects.filter(course__term=term).exclude(state=EnrollmentState.DELETED)
    elsewhere = Enrollment.objects.filter(~Q(course__term=term)).exclude(
        state=EnrollmentState.DELETED
    )
    people_of_term = account_people.filter(Exists(in_term.filter(user=OuterRef("pk")))).exclude(
        Exists(elsewhere.filter(user=OuterRef("pk")))
    )
    scope = f" for the term {term}"
    # The term's courses the account holds: its organisations' and, in a term of its own,
    # those without one (courses.csv without account_id makes those).
    held = Q(organisation_id__in=account)
    if term.organisation_id in account:
        held |= Q(organisation__isnull=True)
    courses = Course.objects.filter(held, term=term)
    return [
        *_mark_people(job, parts, people_of_term, scope=scope),
        *_mark_enrolments(job, parts, in_term.filter(user__in=account_people), scope=scope),
        *_mark_catalogue(job, parts, COURSES, courses, scope=scope),
        *_mark_catalogue(
            job, parts, SECTIONS, Section.objects.filter(course__in=courses), scope=scope
        ),
    ]


def _mark_people(job, parts, people, *, scope: str) -> list[list[str]]:
    """Mark the people with an SIS id whom users.csv omits."""
    people_part = _part(parts, ImportKind.USERS)
    if people_part is None:
        return [["", f"Batch mode{scope}: no users.csv in the batch, so nobody was marked."]]
    listed = _sis_ids_in(people_part)
    omitted = (
        people.exclude(sis_user_id__isnull=True)
        .exclude(sis_user_id="")
        .exclude(status=UserStatus.DELETED)
        .exclude(sis_user_id__in=listed)
        .exclude(username__in=listed)
    )
    names = list(omitted.order_by("sis_user_id").values_list("sis_user_id", flat=True)[:MAX_LISTED])
    if not names:
        return []
    outcome = user_services.users_mark_for_deletion(omitted, by=job.created_by, reason=_reason(job))
    _journal(job, BatchMarkKind.USERS, User, outcome.ids)
    return [
        [
            people_part.file_name,
            f"Batch mode{scope}: {len(outcome.ids)} people not in this batch were marked "
            f"“to be deleted” for review (nothing was deleted): {', '.join(names)}.",
        ]
    ]


def _mark_enrolments(job, parts, enrolments, *, scope: str) -> list[list[str]]:
    """Mark the term's enrolments of people with an SIS id that enrollments.csv omits (not
    those an "everyone" course made, which no file lists)."""
    part = _part(parts, ImportKind.ENROLLMENTS)
    if part is None:
        return [
            ["", f"Batch mode{scope}: no enrollments.csv in the batch, so no enrolment was marked."]
        ]
    listed_ids, listed_keys = _enrolments_in(part)
    candidates = (
        enrolments.filter(marked_for_deletion_at__isnull=True)
        .exclude(user__sis_user_id__isnull=True)
        .exclude(user__sis_user_id="")
        .exclude(source=EnrollmentSource.EVERYONE)
        .order_by("user__sis_user_id", "course__code", "id")
        .values_list("id", "user_id", "section_id", "type", "user__sis_user_id", "course__code")
    )
    omitted, names = [], []
    for pk, user_id, section_id, role, sis, code in candidates.iterator():
        if pk in listed_ids or (user_id, section_id, role) in listed_keys:
            continue
        omitted.append(pk)
        if len(names) < MAX_LISTED:
            names.append(f"{sis} in {code}")
    marked = []
    for batch in batched(omitted):
        ids = enrollment_services.enrollments_mark_for_deletion(
            Enrollment.objects.filter(id__in=batch), by=job.created_by, reason=_reason(job)
        )
        _journal(job, BatchMarkKind.ENROLLMENTS, Enrollment, ids)
        marked += ids
    if not marked:
        return []
    return [
        [
            part.file_name,
            f"Batch mode{scope}: {len(marked)} enrolments of the term not in this batch were "
            f"marked “to be deleted” for review (nothing was deleted): {', '.join(names)}.",
        ]
    ]


@dataclass(frozen=True)
class Catalogue:
    """How batch mode marks one kind of the term's catalogue that its file omits."""

    kind: str  # the file's ImportKind, and the journal's BatchMarkKind
    sis_field: str
    listed_as: tuple[str, ...]  # what the warning names each by
    mark: Callable
    words: str


COURSES = Catalogue(
    ImportKind.COURSES,
    "sis_course_id",
    ("sis_course_id",),
    enrollment_services.courses_mark_for_deletion,
    "courses of the term",
)
SECTIONS = Catalogue(
    ImportKind.SECTIONS,
    "sis_section_id",
    ("sis_section_id", "course__code"),
    enrollment_services.sections_mark_for_deletion,
    "sections of the term's courses",
)


def _mark_catalogue(job, parts, what: Catalogue, rows, *, scope: str) -> list[list[str]]:
    """Mark the term's courses (or their sections) with an SIS id that the batch's
    courses.csv (or sections.csv) omits; without that file in the batch, none."""
    part = _part(parts, what.kind)
    if part is None:
        return []
    listed = ImportRow.objects.filter(job=part, target__isnull=False).values("target")
    omitted = (
        rows.filter(marked_for_deletion_at__isnull=True)
        .exclude(**{f"{what.sis_field}__isnull": True})
        .exclude(**{what.sis_field: ""})
        .exclude(id__in=listed)
    )
    names = [
        " in ".join(values)
        for values in omitted.order_by(*what.listed_as, "id").values_list(*what.listed_as)[
            :MAX_LISTED
        ]
    ]
    if not names:
        return []
    ids = what.mark(omitted, by=job.created_by, reason=_reason(job))
    _journal(job, what.kind, rows.model, ids)
    return [
        [
            part.file_name,
            f"Batch mode{scope}: {len(ids)} {what.words} not in this batch were marked "
            f"“to be deleted” for review (nothing was deleted): {', '.join(names)}.",
        ]
    ]


def _enrolments_in(part: ImportJob) -> tuple[set[int], set[tuple]]:
    """What enrollments.csv names: the ids of the existing enrolments its rows matched, and
    (person, section, role) of the ones it created."""
    ids = set(
        ImportRow.objects.filter(job=part, target__isnull=False).values_list("target", flat=True)
    )
    created = set()
    for plans in ImportPlan.objects.filter(job=part).values_list("plans", flat=True).iterator():
        for plan in plans:
            if plan["outcome"] == RowOutcome.NEW:
                values = plan["values"]
                created.add((values["user_id"], values["section_id"], values["type"]))
    return ids, created


def _reason(job: ImportJob) -> str:
    return f"Batch mode of SIS import {job.pk}: not in the batch"


def _journal(job: ImportJob, kind: str, model, ids: list[int]) -> None:
    """Keep what was marked, and when, for restore_states."""
    if not ids:
        return
    marked_at = model.objects.filter(pk=ids[0]).values_list("marked_for_deletion_at", flat=True)
    moment = marked_at.get()
    BatchModeMark.objects.bulk_create(
        BatchModeMark(job=job, kind=kind, marked_at=moment, ids=batch) for batch in batched(ids)
    )
