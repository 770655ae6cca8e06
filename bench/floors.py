"""What the database alone takes for the writes a goal of `bench compare` asks to speed up:
the floor under the project's figure, measured in the same run and set beside the time the
goal allows (issue 15).

A figure above its goal's time can come down only as far as its floor, whatever the Python
does. The floors count only writes the product must make in the same transaction as the
change, by its own rules: a person's row with the indexes behind its filters and search,
and a history row for every change. They leave out the figures ledger, the commit and
every read, so they are lower than any real run, never higher.

- The import: `INSERT INTO users_user ... SELECT ... FROM generate_series(...)` of as many
  new people as the import brings, written by the database itself (no Python, no file),
  with the table's indexes and triggers (the search table, the status counts), then their
  history rows, in one transaction that is rolled back.
- Bulk deactivation: the `UPDATE users_user` and `INSERT INTO users_historicaluser`
  statements of the fastest timed bulk run, as `bench.statements` measured them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction

from users.models import User

FLOOR_TAG = "bench_floor_"


@dataclass
class Floor:
    """The seconds the database alone took for `parts`, against the seconds each of the
    goal's terms allows (`allowed`: [(term, seconds)]); the goal is met only if all are."""

    name: str
    parts: list[tuple[str, float]]
    allowed: list[tuple[str, float]]

    @property
    def seconds(self) -> float:
        return sum(seconds for _, seconds in self.parts)

    @property
    def below_goal(self) -> bool | None:
        """Whether the goal asks for less time than the database alone takes."""
        if not self.allowed:
            return None
        return min(seconds for _, seconds in self.allowed) < self.seconds

    def line(self) -> str:
        parts = " + ".join(f"{what} {seconds:.2f} s" for what, seconds in self.parts)
        total = f" = {self.seconds:.2f} s" if len(self.parts) > 1 else ""
        if not self.allowed:
            return f"  {self.name}: {parts}{total}"
        allowed = ", ".join(f"{term} allows {seconds:.2f} s" for term, seconds in self.allowed)
        verdict = (
            "the goal is below what the database alone takes"
            if self.below_goal
            else "within the goal"
        )
        return f"  {self.name}: {parts}{total}; {allowed}: {verdict}"


def allowed_seconds(rows: int, stock_rate: float | None, times_faster: float) -> float | None:
    """The seconds `rows` may take at `times_faster` the stock's rate (rows per second)."""
    if not stock_rate:
        return None
    return rows / (stock_rate * times_faster)


def import_floor_seconds(rows: int) -> list[tuple[str, float]]:
    """Writing `rows` new people and their history rows, by the database alone, rolled back.
    PostgreSQL only."""
    history = User.history.model
    table, history_table = User._meta.db_table, history._meta.db_table
    generated = {
        "username": f"'{FLOOR_TAG}' || n",
        "email": f"'{FLOOR_TAG}' || n || '@example.com'",
        "first_name": "'Floor'",
        "last_name": "'Newcomer' || n",
        "sis_user_id": f"'{FLOOR_TAG}' || n",
    }
    columns, values, params = [], [], []
    for field in User._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname in generated:
            values.append(generated[field.attname])
        elif field.null:
            continue
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        columns.append(connection.ops.quote_name(field.column))
    copied = [
        field.column
        for field in history._meta.concrete_fields
        if not field.attname.startswith("history_") and field.column in _columns(table)
    ]
    quoted = ", ".join(connection.ops.quote_name(column) for column in copied)
    parts = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            (last_id,) = cursor.fetchone()
            started = time.perf_counter()
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS n",
                [*params, rows],
            )
            parts.append((f"{rows:,} people into {table}", time.perf_counter() - started))
            started = time.perf_counter()
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(history_table)} "
                f"({quoted}, history_date, history_type, history_change_reason) "
                f"SELECT {quoted}, now(), '+', 'Benchmark: floor' "
                f"FROM {connection.ops.quote_name(table)} WHERE id > %s",
                [last_id],
            )
            parts.append(("their history rows", time.perf_counter() - started))
        transaction.set_rollback(True)
    return parts


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {
            column.name for column in connection.introspection.get_table_description(cursor, table)
        }


def floors(project: dict, stock: dict) -> list[Floor]:
    """The import's and bulk deactivation's floors, from this run's figures
    (`project["import_floor"]`, `project["bulk_floor"]`) and the stock's. The import's goal
    has two terms, as its pair in bench.pairs judges it: 30× the stock's rate and 35% of
    the stock's COPY."""
    found = []
    rows = project.get("import_rows")
    if project.get("import_floor") and rows:
        terms = [
            ("30× the stock", allowed_seconds(rows, stock.get("import"), 30)),
            ("35% of COPY", allowed_seconds(rows, stock.get("copy_limit"), 0.35)),
        ]
        found.append(
            Floor(
                f"Import {rows:,} new people",
                project["import_floor"],
                [(term, seconds) for term, seconds in terms if seconds is not None],
            )
        )
    bulk = project.get("bulk_floor")
    if bulk:
        changed, parts = bulk
        allowed = allowed_seconds(changed, stock.get("bulk"), 10)
        found.append(
            Floor(
                f"Bulk deactivate {changed:,} people (fastest run)",
                parts,
                [] if allowed is None else [("10× the stock", allowed)],
            )
        )
    return found


def bulk_floor(runs) -> tuple[int, list[tuple[str, float]]] | None:
    """From timed bulk runs [(changed, StatementTimes)], the fastest run's people-row and
    history-row statements: (changed, [(statement, seconds), ...])."""
    table = User._meta.db_table
    history_table = User.history.model._meta.db_table
    wanted = (f"UPDATE {table}", f"INSERT INTO {history_table}")
    best = None
    for changed, times in runs:
        if not changed:
            continue
        parts = [(kind, times.seconds[kind]) for kind in wanted if times.seconds.get(kind)]
        rate = changed / sum(seconds for _, seconds in parts) if parts else 0
        if parts and (best is None or rate > best[0]):
            best = (rate, changed, parts)
    return None if best is None else (best[1], best[2])
