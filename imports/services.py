"""Import jobs: start one, confirm its preview, cancel it, hand out its passwords once.

Small files are checked and applied while the page waits; larger ones by a background
worker through the Django Tasks API, with progress the page can follow.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from imports import engine
from imports.heartbeat import stalled
from imports.kinds import KINDS
from imports.models import ImportJob, ImportState, NewPeopleSignIn, StatusWord
from imports.reading import ENCODINGS, FileProblem, check_size, detect_format, estimate_rows
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import (
    create_with_history,
    delete_with_history,
    update_with_history,
)
from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope


def may_import(person, kind: str) -> bool:
    if kind not in KINDS or not person.has_perm("imports.import_data"):
        return False
    return all(person.has_perm(codename) for codename in KINDS[kind].permissions)


def _runs_in_background(job: ImportJob) -> bool:
    return estimate_rows(bytes(job.content or b""), job.format) > settings.IMPORT_BACKGROUND_ROWS


# Status words of a previous LMS ---------------------------------------------------------

STATUS_WORD_FIELDS = ("word", "applies_to", "means")


def _refusal(error: ValidationError) -> DomainError:
    return DomainError(" ".join(error.messages))


@transaction.atomic
def status_word_create(*, word: str, applies_to: str, means: str, by, reason: str) -> StatusWord:
    """A previous LMS's word for a status ("Long Term Leave" means inactive)."""
    try:
        return create_with_history(
            StatusWord, by=by, reason=reason, word=word, applies_to=applies_to, means=means
        )
    except ValidationError as error:
        raise _refusal(error) from error


@transaction.atomic
def status_word_update(status_word: StatusWord, *, by, reason: str, **changes) -> StatusWord:
    try:
        return update_with_history(
            status_word, changes, by=by, reason=reason, allowed=STATUS_WORD_FIELDS
        )
    except ValidationError as error:
        raise _refusal(error) from error


@transaction.atomic
def status_word_delete(status_word: StatusWord, *, by, reason: str) -> None:
    """Files using the word are refused from now on; imports done with it stay as they are."""
    locked = StatusWord.objects.select_for_update().filter(pk=status_word.pk).first()
    if locked is None:
        return
    delete_with_history(locked, by=by, reason=reason)


# Import jobs -----------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    kind: str,
    file_name: str,
    content: bytes,
    by,
    organisation=None,
    fmt: str | None = None,
    encoding: str = "utf-8",
    start: bool = True,
) -> ImportJob:
    """Store the file and check it: now for a small file, in the background for a large one.

    A file that is too big or of an unknown type is refused at once, before it is stored.
    """
    if kind not in KINDS:
        raise DomainError(f"Unknown kind of import “{kind}”. Choose one of: {', '.join(KINDS)}.")
    if not may_import(by, kind):
        raise PermissionDenied(f"You may not import {KINDS[kind].label.lower()}.")
    if encoding not in ENCODINGS:
        raise DomainError(f"Unknown encoding “{encoding}”. Choose UTF-8 or Latin-1.")
    try:
        check_size(len(content))
        fmt = detect_format(file_name, fmt)
    except FileProblem as problem:
        raise DomainError(problem.message) from problem
    scope = organisation_scope(by)
    scope_organisation = None
    if scope is not EVERYTHING:
        scope_organisation = by.organisation
        if organisation is None:
            organisation = by.organisation
        elif organisation.pk not in scope:
            raise DomainError("You can import only into your own organisation.")
    job = ImportJob.objects.create(
        kind=kind,
        file_name=file_name,
        format=fmt,
        encoding=encoding,
        size=len(content),
        content=content,
        organisation=organisation,
        scope_organisation=scope_organisation,
        created_by=by,
        created_by_name=by.get_username(),
        state=ImportState.QUEUED,
    )
    if not start:
        return job
    if _runs_in_background(job):
        from imports.tasks import check_import

        transaction.on_commit(lambda: check_import.enqueue(job.pk))
    else:
        transaction.on_commit(lambda: engine.check(job))
    return job


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job.pk)


@transaction.atomic
def import_job_confirm(job: ImportJob, *, by, new_people_sign_in: str = "") -> ImportJob:
    """Apply the previewed plan: now for a small file, in the background for a large one.

    `new_people_sign_in`: how new people get their first way in (NewPeopleSignIn).
    """
    if new_people_sign_in not in NewPeopleSignIn.values:
        raise DomainError("Choose how the new people sign in.")
    locked = _locked(job)
    if locked.created_by_id != by.pk and not may_import(by, locked.kind):
        raise PermissionDenied("You may not confirm this import.")
    if locked.state != ImportState.CHECKED or locked.confirmed_at is not None:
        raise DomainError(f"This import is {locked.get_state_display().lower()} already.")
    if locked.errors:
        raise DomainError("The preview found errors. Fix the file and upload it again.")
    locked.confirmed_at = timezone.now()
    locked.state = ImportState.QUEUED
    locked.new_people_sign_in = new_people_sign_in
    locked.save(update_fields=["confirmed_at", "state", "new_people_sign_in"])
    if _runs_in_background(locked):
        from imports.tasks import apply_import

        transaction.on_commit(lambda: apply_import.enqueue(locked.pk))
    else:
        transaction.on_commit(lambda: engine.apply(locked))
    return locked


@transaction.atomic
def import_job_cancel(job: ImportJob, *, by) -> ImportJob:
    locked = _locked(job)
    if locked.state not in (ImportState.CHECKED, ImportState.QUEUED) or (
        locked.state == ImportState.QUEUED and locked.confirmed_at is not None
    ):
        raise DomainError("Only an import that is not being applied can be cancelled.")
    locked.state = ImportState.CANCELLED
    locked.content = None
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "content", "finished_at"])
    return locked


@transaction.atomic
def import_job_restart(job: ImportJob, *, by) -> ImportJob:
    """Start a stalled job again (its worker stopped); an import is all or nothing, so a
    stopped one changed nothing and can safely run again."""
    locked = _locked(job)
    if not stalled(locked):
        raise DomainError("This import is not stalled.")
    locked.state = ImportState.QUEUED
    locked.heartbeat_at = timezone.now()
    locked.worker = ""
    locked.save(update_fields=["state", "heartbeat_at", "worker"])
    from imports.tasks import apply_import, check_import

    task = apply_import if locked.confirmed_at else check_import
    transaction.on_commit(lambda: task.enqueue(locked.pk))
    return locked


@transaction.atomic
def import_job_take_credentials(job: ImportJob, *, by) -> list[dict]:
    """The temporary passwords the import handed out, once: they are wiped as they go."""
    locked = _locked(job)
    if locked.created_by_id != by.pk:
        raise PermissionDenied("Only the person who ran the import can download these.")
    now = timezone.now().isoformat()
    credentials = [item for item in locked.credentials if item.get("expires_at", "") > now]
    locked.credentials = []
    locked.save(update_fields=["credentials"])
    return credentials
