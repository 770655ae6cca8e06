"""Import speeds (issue 5): 100,000 new people, 100,000 updates, and the same file through a
stock django-import-export `ModelResource`, each with its peak memory.

Run on PostgreSQL after `seed_demo --users 1000000`: `manage.py bench imports`. Each import
runs in a child process (so its peak memory is its own) inside a transaction that is rolled
back, so the data set stays as it was. `BENCH_IMPORT_ROWS` and `BENCH_STOCK_ROWS` change the
sizes.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from import_export import resources

from bench.management.commands.bench import Measurement
from users.models import User, UserStatus

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
STOCK_ROWS = int(os.environ.get("BENCH_STOCK_ROWS", str(ROWS)))
HEADERS = ["user_id", "login_id", "first_name", "last_name", "email", "status"]


class StockUserResource(resources.ModelResource):
    """The library as it comes: only the key column named, every other option left alone."""

    class Meta:
        model = User
        import_id_fields = ("sis_user_id",)
        fields = ("username", "sis_user_id", "first_name", "last_name", "email")


def _write(path: Path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def _new_people(path: Path, count: int, tag: str) -> None:
    _write(
        path,
        (
            [
                f"B{tag}-{n}",
                f"bench{tag}_{n}",
                "Bench",
                f"Person{n}",
                f"b{tag}.{n}@example.com",
                "active" if n % 10 else "Long Term Leave",
            ]
            for n in range(count)
        ),
    )


def _updates(path: Path, count: int) -> None:
    people = (
        User.objects.filter(sis_user_id__isnull=False, status=UserStatus.ACTIVE)
        .order_by("id")
        .values_list("sis_user_id", "username", "first_name", "last_name", "email")[:count]
    )
    _write(
        path,
        (
            [sis, name, f"{first}x", last, email, "active"]
            for sis, name, first, last, email in people
        ),
    )


def child(mode: str, path: str) -> None:
    """Runs in the child process: one import, timed, then rolled back.

    As in production, DEBUG is off: with it on, Django keeps every query's text in memory.
    """
    settings.DEBUG = False
    from imports import engine
    from imports.services import import_job_create

    admin = User.objects.filter(is_superuser=True, status=UserStatus.ACTIVE).first()
    content = Path(path).read_bytes()
    result = {}
    start = time.perf_counter()
    with transaction.atomic():
        if mode == "stock":
            import tablib

            dataset = tablib.Dataset().load(content.decode("utf-8-sig"), format="csv")
            outcome = StockUserResource().import_data(dataset, dry_run=False)
            result["errors"] = outcome.has_errors() or outcome.has_validation_errors()
        else:
            job = import_job_create(
                kind="users", file_name=Path(path).name, content=content, by=admin, start=False
            )
            engine.check(job)
            result["check_s"] = time.perf_counter() - start
            engine.apply(job)
            result["state"] = job.state
            result["failure"] = job.failure
            result["applied"] = job.applied
        result["seconds"] = time.perf_counter() - start
        transaction.set_rollback(True)
    print("BENCH " + json.dumps(result))


def _run(mode: str, path: Path) -> tuple[dict, float]:
    code = f"from bench.imports import child; child({mode!r}, {str(path)!r})"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read()
    errors = process.stderr.read()
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if status or line is None:
        raise RuntimeError(f"The {mode} import failed:\n{output}\n{errors}")
    return json.loads(line[6:]), usage.ru_maxrss / 1024


def bench_imports(stdout):
    if User.objects.filter(is_superuser=True, status=UserStatus.ACTIVE).first() is None:
        User.objects.create_superuser("bench_admin", "bench@example.com", None)
    tag = str(int(time.time()))
    with tempfile.TemporaryDirectory() as folder:
        new_file = Path(folder) / "users-new.csv"
        _new_people(new_file, ROWS, tag)
        result, peak = _run("new", new_file)
        if result["state"] != "done":
            raise RuntimeError(result["failure"])
        yield Measurement(
            f"Import {ROWS:,} new people, history included (end to end)",
            ROWS / result["seconds"],
            "rows/s",
            "≥ 10,000 rows/s",
        )
        yield Measurement("  of which the preview (check) took", result["check_s"], "s")
        yield Measurement("  peak memory of that import", peak, "MB", "≤ 200 MB")

        update_file = Path(folder) / "users-update.csv"
        _updates(update_file, ROWS)
        result, peak = _run("update", update_file)
        if result["state"] != "done":
            raise RuntimeError(result["failure"])
        yield Measurement(
            f"Import {ROWS:,} updates, history included (end to end)",
            ROWS / result["seconds"],
            "rows/s",
            "≥ 5,000 rows/s",
        )
        yield Measurement("  peak memory of that import", peak, "MB", "≤ 200 MB")

        stock_file = new_file
        if STOCK_ROWS != ROWS:
            stock_file = Path(folder) / "users-stock.csv"
            _new_people(stock_file, STOCK_ROWS, tag + "s")
        result, peak = _run("stock", stock_file)
        yield Measurement(
            f"Same file, {STOCK_ROWS:,} rows, stock ModelResource (no actor or reason)",
            STOCK_ROWS / result["seconds"],
            "rows/s",
        )
        yield Measurement("  peak memory of the stock import", peak, "MB")


SECTIONS = {"imports": bench_imports}
