"""Checking a file (the preview) and applying it (all of it, or nothing).

`check` reads the file, plans every row and stores each row's outcome with a digest of the
plan. `apply` plans again inside one transaction, with the rows locked, and refuses when
the plan is no longer the one previewed (someone changed the data meanwhile); otherwise it
hands the plan to the services. A crash, a refusal or a killed worker rolls everything
back: the database never holds half an import.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from imports.kinds import KINDS
from imports.kinds.base import Context, Layout, RowPlan
from imports.models import ImportJob, ImportRow, ImportState, RowOutcome
from imports.reading import FileProblem, read_table
from users.exceptions import DomainError
from users.history import batched
from users.scoping import organisation_scope

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The import cannot go ahead; the message says why, and nothing was changed."""


@dataclass
class FilePlan:
    layout: Layout | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plans: list[RowPlan] = field(default_factory=list)

    @property
    def digest(self) -> str:
        summary = [[p.line, p.outcome, p.target, p.status, p.changes, p.errors] for p in self.plans]
        payload = json.dumps([self.errors, summary], default=str, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(plan.outcome for plan in self.plans)
        return {outcome: counts.get(outcome, 0) for outcome in RowOutcome.values}


# Progress -------------------------------------------------------------------------------

_side = threading.local()


def _side_connection():
    """A second connection to the same database, so that progress shows while the import's
    own transaction is still open. Only PostgreSQL lets two connections write at once."""
    if getattr(_side, "connection", None) is None:
        _side.connection = connections.create_connection("default")
    return _side.connection


class Progress:
    """Writes how far a job has got, at most a few times a second; prints it too if asked."""

    def __init__(self, job: ImportJob, *, echo=None, every: float = 0.5):
        self.job = job
        self.echo = echo
        self.every = every
        self.last = 0.0

    def __call__(self, done: int, total: int, state: str | None = None, *, force=False):
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        if self.echo:
            self.echo(done, total, state or self.job.state)
        self._write(rows_done=done, rows_total=total, state=state or self.job.state)

    def _write(self, **values):
        values["heartbeat_at"] = timezone.now()
        default = connections["default"]
        if not default.in_atomic_block:
            ImportJob.objects.filter(pk=self.job.pk).update(**values)
            return
        if default.vendor != "postgresql":
            return
        try:
            side = _side_connection()
            columns = ", ".join(f"{name} = %s" for name in values)
            with side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET {columns} WHERE id = %s",
                    [*values.values(), self.job.pk],
                )
        except Exception:  # progress is a courtesy; the import must not fail for it
            logger.warning("Could not record import progress", exc_info=True)

    def close(self):
        side = getattr(_side, "connection", None)
        if side is not None:
            side.close()
            _side.connection = None


# Planning -------------------------------------------------------------------------------


def context_for(job: ImportJob, *, lock: bool = False) -> Context:
    person = job.created_by
    return Context(
        person=person,
        scope=organisation_scope(person),
        organisation=job.organisation,
        reason=job.reason,
        lock=lock,
    )


def plan_file(job: ImportJob, context: Context, progress=None, *, offset=0, total=None) -> FilePlan:
    try:
        table = read_table(
            bytes(job.content or b""),
            file_name=job.file_name,
            fmt=job.format,
            encoding=job.encoding,
        )
    except FileProblem as problem:
        return FilePlan(errors=[problem.message])
    kind = KINDS[job.kind]
    layout = kind.choose_layout(table.names)
    errors, notes = kind.check_columns(table.names, layout)
    file_plan = FilePlan(layout=layout, errors=errors, notes=[*table.notes, *notes])
    if errors:
        return file_plan
    context.memory.update(layout=layout, names=table.names)
    rows = len(table.rows)
    total = total or rows
    for batch in batched(table.records(), kind.batch_size):
        file_plan.plans += kind.plan(context, batch)
        if progress:
            progress(offset + len(file_plan.plans), total)
    kind.finish(context, file_plan.plans)
    return file_plan


def _store_rows(job: ImportJob, plans: list[RowPlan]) -> None:
    ImportRow.objects.filter(job=job).delete()
    for batch in batched(plans, 5000):
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    job=job,
                    line=plan.line,
                    outcome=plan.outcome,
                    key=plan.key[:255],
                    changes=plan.changes,
                    messages=plan.messages,
                )
                for plan in batch
            ]
        )


def check(job: ImportJob, *, echo=None) -> ImportJob:
    """The preview: what each row would do, stored with the job. Changes nothing else."""
    progress = Progress(job, echo=echo)
    job.state = ImportState.CHECKING
    job.save(update_fields=["state"])
    try:
        file_plan = plan_file(job, context_for(job), progress)
        with transaction.atomic():
            _store_rows(job, file_plan.plans)
            job.layout = file_plan.layout.name if file_plan.layout else ""
            job.findings = {"errors": file_plan.errors, "notes": file_plan.notes}
            job.counts = file_plan.counts
            job.rows_total = job.rows_done = len(file_plan.plans)
            job.plan_digest = file_plan.digest
            job.state = ImportState.CHECKED
            job.checked_at = timezone.now()
            job.save()
    except Exception as error:
        logger.exception("Checking import %s failed", job.pk)
        _fail(job, f"The file could not be checked: {error}")
    finally:
        progress.close()
    if echo:
        echo(job.rows_done, job.rows_total, job.state)
    return job


def apply(job: ImportJob, *, echo=None) -> ImportJob:
    """Apply exactly the previewed plan, in one transaction, or nothing at all."""
    if job.state not in (ImportState.CHECKED, ImportState.QUEUED, ImportState.APPLYING):
        _fail(job, f"This import is {job.get_state_display().lower()}; it cannot be applied.")
        return job
    if job.errors:
        _fail(job, "The preview found errors. Fix the file and upload it again.")
        return job
    progress = Progress(job, echo=echo)
    rows = job.rows_total
    job.state = ImportState.APPLYING
    ImportJob.objects.filter(pk=job.pk).update(state=job.state, rows_done=0, rows_total=2 * rows)
    context = context_for(job, lock=True)
    try:
        with transaction.atomic():
            file_plan = plan_file(job, context, progress, total=2 * rows)
            if file_plan.digest != job.plan_digest:
                raise Refused(
                    "The people, courses or enrolments in this file changed after the preview "
                    "(someone else edited them, or another import ran). Nothing was imported: "
                    "upload the file again to see a fresh preview."
                )
            written = [0]

            def step(count: int) -> None:
                written[0] += count
                progress(rows + min(written[0], rows), 2 * rows)

            job.applied = KINDS[job.kind].apply(context, file_plan.plans, step)
            job.credentials = [
                {
                    "username": c.user.username,
                    "name": c.user.get_full_name(),
                    "temporary_password": c.temporary_password,
                    "expires_at": c.expires_at.isoformat(),
                }
                for c in context.memory.get("credentials", [])
                if c.temporary_password
            ]
            job.applied["reset links sent"] = sum(
                1 for c in context.memory.get("credentials", []) if c.reset_link_sent_to
            )
            job.state = ImportState.DONE
            job.finished_at = timezone.now()
            job.rows_done = job.rows_total = 2 * rows
            job.content = None
            # The job's result commits with the changes, or not at all.
            job.save()
    except (Refused, DomainError) as error:
        _fail(job, str(error))
    except Exception as error:
        logger.exception("Import %s failed", job.pk)
        _fail(job, f"The import stopped with an unexpected error ({error}). Nothing was changed.")
    finally:
        progress.close()
    if echo:
        echo(job.rows_done, job.rows_total, job.state)
    return job


def _fail(job: ImportJob, message: str) -> None:
    job.state = ImportState.FAILED
    job.failure = message
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, failure=message, finished_at=job.finished_at
    )
