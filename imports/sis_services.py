"""The doors of Canvas SIS imports: create one, abort it (or every pending one), and undo
the status changes it made (restore_states). The work runs in the task worker
(imports/sis_tasks.py) through the import engine (imports/sis_batch.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from enrollments import selectors
from imports import sis_batch
from imports.models import ImportJob, ImportKind, ImportState, Progress
from imports.reading import FileProblem, check_size
from imports.services import may_import
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope

PENDING = (ImportState.QUEUED, ImportState.CHECKING, ImportState.CHECKED, ImportState.APPLYING)


def sis_imports_of(viewer, account):
    """The SIS imports and the admin's imports of an account, newest first (not the parts of
    an SIS import). Without the uploaded file: a poll read all 6 MB of a 100,000-row upload
    every time it asked how far the import had got."""
    return (
        ImportJob.objects.for_user(viewer)
        .filter(organisation=account, batch__isnull=True)
        .select_related("created_by")
        .defer("content")
        .order_by("-created_at", "-id")
    )


@transaction.atomic
def sis_import_create(
    *, account, content: bytes, file_name: str, by, options: dict | None = None
) -> ImportJob:
    """Store the upload and its files, and hand it to the worker. Refused at once, with
    nothing stored, if it is empty, too big, holds a file that is not Canvas's, or names a
    batch-mode term the account does not have."""
    try:
        check_size(len(content))
    except FileProblem as problem:
        raise DomainError(problem.message) from problem
    files = sis_batch.unpack(content, file_name)
    for kind, name, _ in files:
        if not may_import(by, kind):
            raise PermissionDenied(f"You may not import {kind} ({name}).")
    scope = organisation_scope(by)
    if scope is not EVERYTHING and account.pk not in scope:
        raise DomainError("You can import only into your own organisation.")
    options = _batch_mode_term(dict(options or {}), account=account, by=by)
    job = ImportJob.objects.create(
        kind=ImportKind.SIS,
        file_name=file_name or "upload.csv",
        format="zip" if len(files) > 1 or file_name.lower().endswith(".zip") else "csv",
        size=len(content),
        organisation=account,
        scope_organisation=None if scope is EVERYTHING else by.organisation,
        created_by=by,
        created_by_name=by.get_username(),
        state=ImportState.QUEUED,
        options=options,
    )
    sis_batch.create_parts(job, files)
    from imports.sis_tasks import run_sis_import

    transaction.on_commit(lambda: run_sis_import.enqueue(job.pk))
    return job


def _batch_mode_term(options: dict, *, account, by) -> dict:
    """Batch mode for a term: the term's Canvas id (`12` or `sis_term_id:FALL25`) becomes
    its id, or the upload is refused when the account has no such term that the person may
    see (the same words either way). Without batch mode the term means nothing, as in
    Canvas, and is dropped."""
    value = options.pop("batch_mode_term_id", None)
    if not value or not options.get("batch_mode"):
        return options
    term = selectors.term_for_account(by, account, value)
    if term is None:
        raise DomainError(
            f"batch_mode_term_id: no term “{value}” in this account. Give a term's id, or "
            "sis_term_id: and its SIS term ID, of a term of this account, of an organisation "
            "above it, or a shared one."
        )
    return {**options, "batch_mode_term_id": str(term.pk)}


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job.pk)


@transaction.atomic
def sis_import_abort(job: ImportJob, *, by) -> ImportJob:
    """Stop an import: one still waiting never starts; a running one is undone whole."""
    locked = _locked(job)
    if locked.state not in PENDING:
        raise DomainError(
            f"This SIS import has finished ({locked.get_state_display().lower()}); "
            "only a waiting or running import can be aborted."
        )
    if locked.state == ImportState.QUEUED and locked.kind == ImportKind.SIS:
        locked.state = ImportState.CANCELLED
        locked.finished_at = timezone.now()
        locked.content = None
        locked.save(update_fields=["state", "finished_at", "content"])
        ImportJob.objects.filter(batch=locked).update(
            state=ImportState.CANCELLED, finished_at=locked.finished_at, content=None
        )
        return locked
    locked.options = {**locked.options, "abort_requested": True}
    locked.save(update_fields=["options"])
    return locked


def sis_imports_abort_pending(account, *, by) -> int:
    pending = sis_imports_of(by, account).filter(kind=ImportKind.SIS, state__in=PENDING)
    aborted = 0
    for job in pending:
        try:
            sis_import_abort(job, by=by)
            aborted += 1
        except DomainError:  # it finished meanwhile
            continue
    return aborted


@transaction.atomic
def sis_import_restore_states(job: ImportJob, *, by) -> Progress:
    """Queue the undoing of the status changes the import made; answers its Progress."""
    locked = _locked(job)
    if locked.kind != ImportKind.SIS or locked.state != ImportState.DONE:
        raise DomainError("Only an SIS import that was imported can have its states restored.")
    if locked.restored_at is not None:
        raise DomainError(
            f"The states of this SIS import were restored already, on "
            f"{timezone.localtime(locked.restored_at):%Y-%m-%d %H:%M}."
        )
    locked.restored_at = timezone.now()
    locked.save(update_fields=["restored_at"])
    progress = Progress.objects.create(
        tag="sis_batch_state_restore",
        job=locked,
        user=by,
        scope_organisation=locked.scope_organisation,
    )
    from imports.sis_tasks import restore_sis_import_states

    transaction.on_commit(lambda: restore_sis_import_states.enqueue(progress.pk))
    return progress
