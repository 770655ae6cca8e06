"""A worker killed in the middle of applying an import leaves nothing half-applied.

The import runs in a real child process (`manage.py import_data`) against the test
database; it is killed with SIGKILL once it reports that it has started writing.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


def test_a_killed_import_changes_nothing(admin_user, tmp_path):
    path = Path(tmp_path) / "big.csv"
    lines = ["user_id,login_id,first_name,last_name,email,status"]
    lines += [f"K{n},killed{n},Kay,Ill{n},k{n}@example.com,active" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    users_before = User.objects.count()
    history_before = User.history.count()

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

    # Another connection, as after a restart: the half-written transaction is gone.
    connection.close()
    assert User.objects.count() == users_before
    assert not User.objects.filter(username__startswith="killed").exists()
    assert User.history.count() == history_before
    wait_until_its_session_is_gone()
    job = ImportJob.objects.get()
    assert job.state == ImportState.APPLYING  # stopped mid-way; it shows as stalled later
    assert job.counts["new"] == ROWS
