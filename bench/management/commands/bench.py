"""`manage.py bench [SECTION ...]`: measure the speeds the issues name, against the current
database (PostgreSQL with `seed_demo --users 1000000` for the published figures).

Each app keeps its measurements in `<app>/bench.py` as `SECTIONS = {name: function}`; a
function takes the command's stdout and yields `Measurement`s. Nothing here is a test:
timings belong in notes, never in assertions.
"""

import importlib
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

BENCH_MODULES = [
    "bench.users",
    "bench.api",
    "bench.reports",
    "bench.imports",
    "bench.learner",
    "bench.reviews",
    "bench.sis_imports",
    "bench.merges",
    "bench.erasure",
]


@dataclass
class Measurement:
    name: str
    value: float
    unit: str
    target: str = ""
    queries: int | None = None

    def line(self) -> str:
        queries = f"  ({self.queries} queries)" if self.queries is not None else ""
        target = f"  target {self.target}" if self.target else ""
        return f"{self.name:<58} {self.value:>12,.1f} {self.unit:<7}{target}{queries}"


@contextmanager
def timed():
    """Yields a dict that receives `ms` and `queries` when the block ends."""
    result = {}
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        yield result
        result["ms"] = (time.perf_counter() - start) * 1000
    result["queries"] = len(queries.captured_queries)


@contextmanager
def peak_memory():
    result = {}
    tracemalloc.start()
    try:
        yield result
    finally:
        result["mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()


def load_sections():
    sections = {}
    for module_name in BENCH_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        sections.update(module.SECTIONS)
    return sections


class Command(BaseCommand):
    help = "Measure page, bulk, report, import and API speeds on the current database."

    def add_arguments(self, parser):
        parser.add_argument(
            "sections",
            nargs="*",
            help="Sections to run (default: all but load and compare). `load` measures a "
            "running server; `compare` measures the project beside the stock admin.",
        )
        load = parser.add_argument_group("load", "bench load: a running server on this machine")
        load.add_argument("--url", default="http://127.0.0.1:8000", help="127.0.0.1 only.")
        load.add_argument("--clients", type=int, default=16, help="Concurrent clients.")
        load.add_argument("--requests", type=int, default=300, help="Requests per page.")
        load.add_argument("--seconds", type=float, default=30, help="At most, per page.")
        load.add_argument("--username", default="trainer", help="A training admin.")
        load.add_argument("--password", default="demo-password-2026")
        compare = parser.add_argument_group("compare", "bench compare: beside the stock admin")
        compare.add_argument(
            "--stock-dir", default="", help="The stock admin (default ../shared/stock-admin)."
        )
        compare.add_argument(
            "--stock-database",
            default="postgres://postgres@127.0.0.1:5432/stockbench",
            help="Its PostgreSQL database, seeded afresh by each run.",
        )
        compare.add_argument(
            "--stock-people", type=int, default=1_000_000, help="People to seed it with."
        )

    def handle(self, *args, sections, **options):
        available = {**load_sections(), "load": None, "compare": None}
        chosen = sections or [name for name in available if name not in ("load", "compare")]
        unknown = set(chosen) - set(available)
        if unknown:
            raise CommandError(
                f"Unknown sections: {', '.join(sorted(unknown))}. "
                f"Choose from: {', '.join(available)}."
            )
        self.stdout.write(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
        if connection.vendor == "postgresql":
            self.stdout.write(f"Server: {server_settings()}")
        for name in chosen:
            self.stdout.write(self.style.MIGRATE_HEADING(f"\n{name}"))
            if name == "load":
                from bench.load import bench_load

                bench_load(self.stdout, options)
                continue
            if name == "compare":
                from bench.compare import bench_compare

                bench_compare(self.stdout, options)
                continue
            for measurement in available[name](self.stdout):
                self.stdout.write(measurement.line())


# The server settings the figures depend on most: a bulk change of 100,000 users touches
# far more index pages than the packaged default shared_buffers (128 MB) holds.
SERVER_SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "max_wal_size",
    "wal_compression",
)


def server_settings() -> str:
    values = []
    with connection.cursor() as cursor:
        for name in SERVER_SETTINGS:
            # SHOW gives each value in its own unit (128MB, 4MB), as people write them.
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return ", ".join(values)
