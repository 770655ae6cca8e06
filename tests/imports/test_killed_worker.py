"""A worker killed in the middle of applying an import leaves nothing half-applied.

The import runs in a real child process (`manage.py import_data`) against the test
database; it is killed with SIGKILL once it reports that it has started writing.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from imports.heartbeat import Heartbeat, stalled, this_worker
from imports.models import ImportJob, ImportState
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 30000


def database_url() -> str:
    values = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{values['NAME']}"
    user = values.get("USER") or "postgres"
    host = values.get("HOST") or "127.0.0.1"
    port = values.get("PORT") or 5432
    password = f":{values['PASSWORD']}" if values.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{values['NAME']}"


def wait_until_its_session_is_gone():
    """PostgreSQL ends a killed client's session a moment later; the test database can
    only be dropped once it has."""
    if connection.vendor != "postgresql":
        return
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.1)


def kill_while_importing(path: Path) -> None:
    """Run `manage.py import_data` on the file and kill it once it says it is importing."""
    environment = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true"}
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_data", "users", str(path), "--as", "admin"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen = bytearray()

    def read():
        while chunk := child.stderr.read1(256):
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 600  # generous: a loaded machine checks slowly
    # Wait on what the child says, not on whether it still runs: its output may lag.
    while b"Importing" not in seen and reader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert b"Importing" in seen, (seen.decode(errors="replace"), child.stdout.read())
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def new_people(path: Path, *first_rows: str) -> None:
    lines = ["user_id,login_id,first_name,last_name,email,status", *first_rows]
    lines += [f"K{n},killed{n},Kay,Ill{n},k{n}@example.com,active" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")


def assert_nothing_changed_and_restart_offered(admin_user, users_before, history_before):
    # Another connection, as after a restart: the half-written transaction is gone.
    connection.close()
    assert User.objects.count() == users_before
    assert not User.objects.filter(username__startswith="killed").exists()
    assert User.history.count() == history_before
    wait_until_its_session_is_gone()
    job = ImportJob.objects.get()
    # Its worker's process is gone: the job is seen to have stopped at once, not after
    # ten minutes, and its page offers to start it again.
    assert stalled(job)
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("admin:imports_importjob_job", args=[job.pk])).content.decode()
    assert "This import stopped" in page and "Start it again" in page
    assert "the work carries on" not in page
    progress = client.get(reverse("admin:imports_importjob_progress", args=[job.pk])).json()
    assert progress["stalled"] is True
    response = client.post(reverse("admin:imports_importjob_restart", args=[job.pk]))
    assert response.status_code == 302
    return job


def test_a_killed_import_changes_nothing(admin_user, make_user, tmp_path):
    # A status change: the file is checked, then applied, in two steps.
    staying = make_user(sis_user_id="K-STAY")
    path = Path(tmp_path) / "big.csv"
    new_people(path, f"K-STAY,{staying.username},,,,inactive")
    users_before = User.objects.count()
    history_before = User.history.count()

    kill_while_importing(path)

    job = ImportJob.objects.get()
    assert job.state == ImportState.APPLYING  # stopped mid-way
    assert job.counts["new"] == ROWS
    job = assert_nothing_changed_and_restart_offered(admin_user, users_before, history_before)
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED and job.confirmed_at is not None
    assert not stalled(job)


def test_an_import_killed_in_its_one_pass_changes_nothing(admin_user, tmp_path):
    path = Path(tmp_path) / "big.csv"
    new_people(path)
    users_before = User.objects.count()
    history_before = User.history.count()

    kill_while_importing(path)

    job = ImportJob.objects.get()
    # Never confirmed: started again, it is checked again, for a preview.
    assert job.state == ImportState.CHECKING and job.confirmed_at is None
    job = assert_nothing_changed_and_restart_offered(admin_user, users_before, history_before)
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED and job.confirmed_at is None
    assert not stalled(job)


def test_a_worker_that_stops_beating_is_noticed_within_a_minute(admin_user):
    now = timezone.now()
    job = ImportJob.objects.create(
        kind="users",
        file_name="x.csv",
        format="csv",
        created_by=admin_user,
        state=ImportState.APPLYING,
        worker="elsewhere.example:4242",  # on another machine: only its beats tell
        heartbeat_at=now - timedelta(seconds=30),
    )
    assert not stalled(job)
    job.heartbeat_at = now - timedelta(seconds=61)
    assert stalled(job)


def test_a_worker_whose_process_ended_has_stopped_at_once(admin_user):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    job = ImportJob.objects.create(
        kind="users",
        file_name="x.csv",
        format="csv",
        created_by=admin_user,
        state=ImportState.CHECKING,
        worker=f"{socket.gethostname()}:{ended.stdout.strip()}",
        heartbeat_at=timezone.now(),
    )
    assert stalled(job)
    job.worker = this_worker()
    assert not stalled(job)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL takes a beat during a write"
)
def test_a_busy_worker_beats_while_its_transaction_is_open(admin_user):
    job = ImportJob.objects.create(
        kind="users",
        file_name="x.csv",
        format="csv",
        created_by=admin_user,
        state=ImportState.APPLYING,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    with Heartbeat(job, every=0.05), transaction.atomic():
        User.objects.filter(pk=admin_user.pk).update(first_name="Busy")
        time.sleep(0.5)
        beaten = ImportJob.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk)
    job.refresh_from_db()
    assert job.worker == this_worker()
    assert timezone.now() - beaten < timedelta(seconds=5)
    assert not stalled(job)
