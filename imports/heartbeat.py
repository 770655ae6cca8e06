"""Signs of life from whoever works on an import, and telling a stopped worker from a busy one.

A worker (the task worker, `manage.py import_data`, or the web process for a small file)
writes down who it is (host and process id) when it starts on a job, and beats: on
PostgreSQL a thread writes `heartbeat_at` every few seconds on a connection of its own,
also while the import's own transaction is open. A job whose worker has not beaten for
`STALL_AFTER_SECONDS` has stopped, and its page offers to start it again.

SQLite takes one writer at a time, so a worker applying an import there cannot beat; SQLite
is also one machine, so there the worker's process is looked up: gone means stopped at once,
and a live one is given the old, longer silence. On any database, a worker on this machine
whose process is gone has stopped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import connections
from django.utils import timezone

from imports.models import ImportJob, ImportState

logger = logging.getLogger(__name__)

BEAT_SECONDS = 10
# Several missed beats: a loaded machine may be late with one, never with six.
STALL_AFTER_SECONDS = 60
# On SQLite, for a worker whose process still runs but that cannot beat while it writes.
STALL_AFTER_SECONDS_WITHOUT_BEATS = 600


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str) -> bool | None:
    """Whether the worker's process has ended: None when it ran on another machine."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another account
        return False
    return False


def stalled(job: ImportJob) -> bool:
    """The job is being checked or applied, but whoever did it has stopped."""
    if job.state not in (ImportState.CHECKING, ImportState.APPLYING):
        return False
    gone = _process_gone(job.worker) if job.worker else None
    if gone:
        return True
    limit = STALL_AFTER_SECONDS
    if gone is False and connections["default"].vendor != "postgresql":
        limit = STALL_AFTER_SECONDS_WITHOUT_BEATS
    last = job.heartbeat_at or job.created_at
    return (timezone.now() - last).total_seconds() > limit


class Heartbeat:
    """Beats for `job` from `start()` to `stop()` (or while a `with` block runs)."""

    def __init__(self, job: ImportJob, *, every: float = BEAT_SECONDS):
        self.job = job
        self.every = every
        self.stopping = threading.Event()
        self.thread = None

    def start(self) -> Heartbeat:
        self.job.worker = this_worker()
        self.job.heartbeat_at = timezone.now()
        ImportJob.objects.filter(pk=self.job.pk).update(
            worker=self.job.worker, heartbeat_at=self.job.heartbeat_at
        )
        if connections["default"].vendor == "postgresql":
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _run(self):
        try:
            while not self.stopping.wait(self.every):
                try:
                    ImportJob.objects.filter(pk=self.job.pk).update(heartbeat_at=timezone.now())
                except Exception:  # a missed beat is not a reason to stop the import
                    logger.warning("Could not record an import's heartbeat", exc_info=True)
        finally:
            connections.close_all()
