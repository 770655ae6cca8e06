"""Checking a file (the preview) and applying it (all of it, or nothing).

`check` reads the file, plans every row a batch at a time and stores each row's outcome
with what applying it will do. `apply` takes those stored plans, locks the objects they
change and makes sure each is still as the preview saw it (a fingerprint per object), then
hands the plans to the services, all in one transaction. If anything changed meanwhile,
or anything fails, or the worker is killed, nothing is written: the database never holds
half an import, and never something other than what was previewed.
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from imports.heartbeat import Heartbeat
from imports.kinds import KINDS
from imports.kinds.base import Context, Layout, RowPlan, converters_for
from imports.models import ImportJob, ImportPlan, ImportRow, ImportState, RowOutcome
from imports.newcomers import NewPeople
from imports.reading import FileProblem, read_table
from lms_admin.plumbing.bulk import insert_rows, write_tuples
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import batched
from lms_admin.plumbing.scoping import organisation_scope

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The import cannot go ahead; the message says why, and nothing was changed."""


@dataclass
class Walk:
    """What planning a whole file found, without holding its rows: the file-level findings,
    counts per outcome, and a fingerprint of every row's plan."""

    layout: Layout | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    rows: int = 0
    # How many rows the file seems to hold, for progress.
    expected: int = 0
    late: dict[int, list[str]] = field(default_factory=dict)
    newcomers: NewPeople = field(default_factory=NewPeople)

    @property
    def row_errors(self) -> int:
        return self.counts.get(RowOutcome.ERROR, 0) + len(self.late)


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


# Working beside the planner -----------------------------------------------------------

_DONE = object()


def _concurrent() -> bool:
    """Whether a second connection may work beside this one: only PostgreSQL takes writes
    from two connections at once, and only committed rows are visible to another one."""
    default = connections["default"]
    return default.vendor == "postgresql" and not default.in_atomic_block


class Beside:
    """Runs `work(item)` for each item handed over, in a thread with its own connection,
    while the caller goes on planning; `finish()` waits, and re-raises what went wrong."""

    def __init__(self, work, *, depth: int = 2):
        self.work = work
        self.error: BaseException | None = None
        self.items: queue.Queue = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while (item := self.items.get()) is not _DONE:
                if self.error is None:
                    try:
                        self.work(item)
                    except BaseException as error:  # handed to the caller by finish()
                        self.error = error
        finally:
            connections.close_all()

    def __call__(self, item):
        if self.error is not None:
            raise self.error
        self.items.put(item)

    def finish(self):
        self.items.put(_DONE)
        self.thread.join()
        if self.error is not None:
            raise self.error


def fetched_ahead(batches, *, depth: int = 2):
    """Iterate `batches` (a generator that reads committed rows) one step ahead, in a
    thread with its own connection, so that reading overlaps the caller's writing."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce():
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        items.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as error:
            failure.append(error)
        finally:
            connections.close_all()
            if not stop.is_set():
                items.put(_DONE)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (batch := items.get()) is not _DONE:
            yield batch
    finally:
        # Also when the caller stops early (a refusal): let the reader go, then wait.
        stop.set()
        thread.join()
    if failure:
        raise failure[0]


# Planning -------------------------------------------------------------------------------


ACTING = (RowOutcome.NEW, RowOutcome.UPDATED, RowOutcome.STATUS)


def context_for(job: ImportJob) -> Context:
    person = job.created_by
    return Context(
        person=person,
        scope=organisation_scope(person),
        organisation=job.organisation,
        reason=job.reason,
        new_people_sign_in=job.new_people_sign_in,
    )


def walk(job: ImportJob, context: Context, on_batch, progress=None):
    """Read the file and plan it a batch at a time, handing each batch to `on_batch`."""
    result = Walk()
    for plans in planned(job, context, result):
        on_batch(plans)
        if progress:
            progress(result.rows, result.expected)
    return result


def planned(job: ImportJob, context: Context, result: Walk):
    """Each batch's plans, in file order; what the file as a whole shows (its layout,
    errors, notes and counts) goes into `result` as the batches are read."""
    try:
        table = read_table(
            bytes(job.content or b""),
            file_name=job.file_name,
            fmt=job.format,
            encoding=job.encoding,
        )
    except FileProblem as problem:
        result.errors.append(problem.message)
        return
    kind = KINDS[job.kind]
    layout = kind.choose_layout(table.names)
    errors, notes = kind.check_columns(table.names, layout)
    result.layout = layout
    result.errors += errors
    result.notes += [*table.notes, *notes]
    if errors:
        return
    context.memory.update(layout=layout, names=table.names)
    try:
        for batch in batched(table.records(), kind.batch_size):
            plans = kind.plan(context, batch)
            if job.kind == "users":
                result.newcomers.count(plans)
            for plan in plans:
                result.counts[plan.outcome] += 1
            result.rows += len(plans)
            result.expected = max(table.count, result.rows)
            yield plans
    except FileProblem as problem:
        result.errors.append(problem.message)
    result.late = context.late
    result.notes += result.newcomers.notes()


def _store_rows(job: ImportJob, plans: list[RowPlan]) -> None:
    write_tuples(
        ImportRow,
        ("job_id", "line", "outcome", "key", "target", "changes", "messages"),
        [
            (
                job.pk,
                plan.line,
                plan.outcome,
                plan.key[:255],
                plan.target,
                plan.changes,
                plan.messages,
            )
            for plan in plans
        ],
    )


def _store_plans(job: ImportJob, number: int, plans: list[RowPlan]) -> None:
    acting = [plan.stored() for plan in plans if plan.acts]
    if acting:
        # COPY rather than an INSERT: the batch's plans are one large JSON text, which
        # client-side binding would otherwise escape into the statement.
        insert_rows(ImportPlan, [{"job_id": job.pk, "number": number, "plans": acting}], ids=False)


def _add_late_errors(job: ImportJob, late: dict[int, list[str]], counts: Counter) -> None:
    """Errors that later rows found in earlier ones (the same SIS id twice, say)."""
    for row in ImportRow.objects.filter(job=job, line__in=list(late)):
        counts[row.outcome] -= 1
        counts[RowOutcome.ERROR] += 1
        row.outcome = RowOutcome.ERROR
        row.messages = [*late[row.line], *row.messages]
        row.save(update_fields=["outcome", "messages"])


def _checked(job: ImportJob, result: Walk) -> None:
    """What the preview shows of the file as a whole: its layout, findings and counts."""
    job.layout = result.layout.name if result.layout else ""
    job.findings = {
        "errors": result.errors,
        "notes": result.notes,
        "new_people": result.newcomers.as_finding(),
        "sign_in_note": result.newcomers.sign_in_note(),
    }
    job.counts = {outcome: result.counts.get(outcome, 0) for outcome in RowOutcome.values}


def _done(job: ImportJob, applied: Counter, context: Context, total: int) -> None:
    """Record an applied import, inside its transaction."""
    job.applied = dict(applied)
    job.credentials = context.memory.get("temporary_passwords", [])
    job.state = ImportState.DONE
    job.finished_at = timezone.now()
    job.rows_done = job.rows_total = total
    job.content = None
    job.save()


CHECK_FIELDS = ("layout", "findings", "counts", "rows_total", "rows_done", "state", "checked_at")


def check(job: ImportJob, *, echo=None) -> ImportJob:
    """The preview: what each row would do, stored with the job. Changes nothing else.

    Rows are stored a batch at a time as they are planned, outside any long transaction,
    so that progress shows on every database.
    """
    progress = Progress(job, echo=echo)
    job.state = ImportState.CHECKING
    job.save(update_fields=["state"])
    with _watched(job, progress, unexpected="The file could not be checked: {error}"):
        ImportRow.objects.filter(job=job).delete()
        ImportPlan.objects.filter(job=job).delete()
        batches = itertools.count(1)

        def store(item):
            number, plans = item
            _store_rows(job, plans)
            _store_plans(job, number, plans)

        # The rows are written beside the planning when the database allows it.
        writer = Beside(store) if _concurrent() else store
        try:
            result = walk(
                job, context_for(job), lambda plans: writer((next(batches), plans)), progress
            )
        finally:
            if isinstance(writer, Beside):
                writer.finish()
        _add_late_errors(job, result.late, result.counts)
        _checked(job, result)
        job.rows_total = job.rows_done = result.rows
        job.state = ImportState.CHECKED
        job.checked_at = timezone.now()
        # Not the stored file: writing it back costs as much as the upload did.
        job.save(update_fields=[*CHECK_FIELDS])
    if echo:
        echo(job.rows_done, job.rows_total, job.state)
    return job


@contextmanager
def _watched(job: ImportJob, progress: Progress, *, unexpected: str):
    """Run a step of `job` with its heartbeat beating; an error nobody foresaw fails the
    job with `unexpected` (formatted with the error) and is logged in full."""
    heartbeat = Heartbeat(job).start()
    try:
        yield
    except Exception as error:
        logger.exception("Import %s failed", job.pk)
        _fail(job, unexpected.format(error=error))
    finally:
        heartbeat.stop()
        progress.close()


def _stored_plans(job: ImportJob):
    """The preview's plans for rows that change something, in file order, a batch at a time."""
    converters = converters_for(KINDS[job.kind].model)
    # One batch per query, by number: no server-side cursor to outlive a rolled-back
    # transaction.
    numbers = list(
        ImportPlan.objects.filter(job=job).order_by("number").values_list("id", flat=True)
    )
    for pk in numbers:
        plans = ImportPlan.objects.values_list("plans", flat=True).get(pk=pk)
        yield [RowPlan.restored(data, converters) for data in plans]


STALE = (
    "Some of the people, courses or enrolments in this file changed after the preview "
    "(someone else edited them, or another import ran). Nothing was imported: upload the "
    "file again to see a fresh preview."
)


def apply(job: ImportJob, *, echo=None) -> ImportJob:
    """Apply exactly the previewed plan, in one transaction, or nothing at all."""
    if job.state not in (ImportState.CHECKED, ImportState.QUEUED, ImportState.APPLYING):
        _fail(job, f"This import is {job.get_state_display().lower()}; it cannot be applied.")
        return job
    if job.errors:
        _fail(job, "The preview found errors. Fix the file and upload it again.")
        return job
    kind = KINDS[job.kind]
    total = sum(job.counts.get(outcome, 0) for outcome in ACTING)
    progress = Progress(job, echo=echo)
    job.state = ImportState.APPLYING
    # Applying is confirming, also from the command line: a restart then applies again.
    job.confirmed_at = job.confirmed_at or timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, rows_done=0, rows_total=total, confirmed_at=job.confirmed_at
    )
    context = context_for(job)
    applied: Counter = Counter()
    done = 0
    stored = fetched_ahead(_stored_plans(job)) if _concurrent() else _stored_plans(job)
    unexpected = "The import stopped with an unexpected error ({error}). Nothing was changed."
    with _watched(job, progress, unexpected=unexpected):
        try:
            with transaction.atomic():
                for plans in stored:
                    if not kind.unchanged_since_preview(plans):
                        raise Refused(STALE)
                    applied.update(kind.apply(context, plans))
                    done += len(plans)
                    progress(done, total)
                if done != total:
                    raise Refused(STALE)
                # The job's result commits with the changes, or not at all.
                _done(job, applied, context, total)
        except IntegrityError:
            # Someone created the same username, SIS id or enrolment after the preview.
            _fail(job, STALE)
        except (Refused, DomainError) as error:
            _fail(job, str(error))
    if echo:
        echo(job.rows_done, job.rows_total, job.state)
    return job


# One pass, when nothing needs confirming -------------------------------------------------


class NeedsPreview(Exception):
    """Something in the file is for a person to look at first: the one pass is undone."""


def _one_pass_context(job: ImportJob, new_people_sign_in: str) -> Context:
    context = context_for(job)
    context.new_people_sign_in = new_people_sign_in
    # A stored plan keeps times to the millisecond (DjangoJSONEncoder): so do these plans,
    # which are applied without being stored, so that both ways write the same values.
    context.now = context.now.replace(microsecond=context.now.microsecond // 1000 * 1000)
    return context


def _finish(store, *, quietly: bool = False) -> None:
    """Wait for rows written beside the caller; with `quietly`, whatever became of them."""
    if not isinstance(store, Beside):
        return
    try:
        store.finish()
    except Exception:
        if not quietly:
            raise


def one_pass(
    job: ImportJob, *, new_people_sign_in: str = "", echo=None, alongside: bool = True
) -> bool:
    """Check and apply a file in one transaction, without storing the plans in between,
    when there is nothing for a person to look at first; True when it is imported.

    The rows' outcomes, the job's findings, counts and result are written as `check` and
    `apply` write them. As soon as anything needs the preview (a row in error, a status
    change, a row whose plan could depend on an earlier row's change, something that
    changed under the import), all of it is rolled back and False returned: the job is as
    it was, for `check` and `apply` to run as usual.

    `alongside`: plan and store the rows' report on their own connections beside the
    writing (PostgreSQL). Faster when someone waits for the import; a background import
    passes False to leave a core to the pages.
    """
    kind = KINDS[job.kind]
    if not kind.one_pass or job.state != ImportState.QUEUED or job.confirmed_at:
        return False
    progress = Progress(job, echo=echo)
    # Committed as checking: a worker that stops leaves a job to check again, never one
    # that looks applied.
    job.state = ImportState.CHECKING
    job.save(update_fields=["state"])
    heartbeat = Heartbeat(job).start()
    context = _one_pass_context(job, new_people_sign_in)
    result = Walk()
    # Planning reads committed rows on its own connection beside the writing, when the
    # database allows it; it never sees this import's own changes, which the checks below
    # make sure no plan depends on.
    batches = planned(job, context, result)
    # The rows' report is written beside the import too, committed as `check` commits it
    # (and wiped if the pass is undone): its writing then overlaps the people's.
    store = functools.partial(_store_rows, job)
    if alongside and _concurrent():
        batches = fetched_ahead(batches)
        store = Beside(store)
    applied: Counter = Counter()
    targets: set[int] = set()
    total = 0
    try:
        with transaction.atomic():
            for plans in batches:
                for plan in plans:
                    if not kind.settles_in_one_pass(plan):
                        raise NeedsPreview
                    if plan.target is not None:
                        if plan.target in targets:
                            raise NeedsPreview
                        targets.add(plan.target)
                if context.late:
                    raise NeedsPreview
                store(plans)
                acting = [plan for plan in plans if plan.acts]
                if not kind.unchanged_since_preview(acting):
                    raise NeedsPreview
                if acting:
                    applied.update(kind.apply(context, acting))
                total += len(acting)
                progress(result.rows, result.expected)
            if result.errors or result.late or result.layout is None:
                raise NeedsPreview
            _finish(store)
            now = timezone.now()
            _checked(job, result)
            job.checked_at = job.confirmed_at = now
            job.new_people_sign_in = new_people_sign_in
            _done(job, applied, context, total)
    except Exception as error:
        if not isinstance(error, NeedsPreview):
            logger.warning("Import %s goes the two-step way", job.pk, exc_info=True)
        _finish(store, quietly=True)
        ImportRow.objects.filter(job=job).delete()
        job.refresh_from_db()
        job.state = ImportState.QUEUED
        ImportJob.objects.filter(pk=job.pk).update(state=job.state)
        return False
    finally:
        batches.close()  # lets the planner's thread go, if it is still reading
        heartbeat.stop()
        progress.close()
    if echo:
        echo(job.rows_done, job.rows_total, job.state)
    return True


def _fail(job: ImportJob, message: str) -> None:
    job.state = ImportState.FAILED
    job.failure = message
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, failure=message, finished_at=job.finished_at
    )
