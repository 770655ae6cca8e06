"""`manage.py bench compare`: the project beside the stock admin, in one run (issue 15).

Absolute times vary threefold between machines and hours, so every speed goal is a ratio to
the stock admin (`../shared/stock-admin`, a plain ModelAdmin with django-import-export and
simple-history) measured in the same run on the same machine. This seeds the stock database
afresh (its own measure changes its data), runs its own `bench_stock.py measure` in a child
process, then measures the project the way its users work, and prints each pair with its
ratio and goal (bench.pairs), then what the database alone takes for the writes the import
and bulk deactivation must make, beside the time their goals allow (bench.floors).

The project's side runs on the current database (PostgreSQL after `seed_demo --users
1000000`) and commits what it changes, as a user's action would: no rolled-back
transaction hides a commit's cost. Afterwards it puts the people it deactivated back
as they were with plain SQL (untimed), so the next run starts from the same data, with
the bloat that real bulk runs leave behind. The people it imported are then deleted
through the services (untimed): they stay in the table, as deleted people do, and stay out
of the active list, where they would otherwise sort before the scale users (`cmp…`) and
make the next run's searches read past them.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from bench.floors import bulk_floor, floors, import_floor_seconds
from bench.pairs import IMPORT_ROWS, pairs
from bench.statements import StatementTimes, statement_times
from bench.users import _page as median_page
from users.models import Organisation, User, UserStatus

BULK_SIZE = 100_000
STOCK_DIR = Path(settings.BASE_DIR).parent / "shared" / "stock-admin"
STOCK_DATABASE = "postgres://postgres@127.0.0.1:5432/stockbench"
BENCH_REASON = "Benchmark: bulk deactivation"

# Autovacuum workers of either database (the stock's seed and bulk runs, the project's bulk
# runs) take one of the machine's few cores while they run: pages timed beside one were
# half as fast again (39 ms in the bench against 25 ms measured alone a minute later).
# Each side waits, untimed, until none is running, as a quiet server would be.
AUTOVACUUM_RUNNING = (
    "SELECT count(*), string_agg(DISTINCT datname, ', ') FROM pg_stat_activity "
    "WHERE backend_type = 'autovacuum worker'"
)
QUIET_WAIT_SECONDS = 600
QUIET_LOOP = f"""
import time as _time
_started = _time.perf_counter()
with connection.cursor() as cursor:
    while _time.perf_counter() - _started < {QUIET_WAIT_SECONDS}:
        cursor.execute({AUTOVACUUM_RUNNING!r})
        if not cursor.fetchone()[0]:
            break
        _time.sleep(1)
print(f"(untimed) waited {{_time.perf_counter() - _started:.0f}} s for autovacuum to finish")
"""


# The stock's own measures, plus the searches the issue names that its script leaves out.
STOCK_DRIVER = """
import sys
sys.argv = ["bench_stock.py"]
import bench_stock as stock
from django.db import connection
from django.test import Client, override_settings
with connection.cursor() as cursor:
    cursor.execute("CHECKPOINT")  # the seed's writes on disk before any timing, as for the project
{quiet}
client = Client()
client.force_login(stock.Learner.objects.get(username="bench_admin"))
for label, query in [("search 'Walker'", "Walker"), ("exact SIS id search", "SIS77777")]:
    ms, queries = stock.timed(lambda: client.get("/admin/stockapp/learner/?q=" + query), runs=3)
    print(f"stock {label}: {ms:,.0f} ms median, {queries} queries")
stock.measure()
""".replace("{quiet}", QUIET_LOOP)

STOCK_LINES = {
    "copy_limit": r"^physical limit: COPY .* = ([\d,]+) rows/s",
    "users_page": r"^stock users page: ([\d,]+) ms",
    "search_common": r"^stock search 'Walker': ([\d,]+) ms",
    "search_fragment": r"^stock name fragment search '.*': ([\d,]+) ms",
    "exact_email": r"^stock exact email search: ([\d,]+) ms",
    "exact_sis": r"^stock exact SIS id search: ([\d,]+) ms",
    "bulk": r"^stock bulk_update_with_history: .* = ([\d,]+) users/s",
    "import": r"^stock import \(ModelResource defaults\): .* = ([\d,]+) rows/s",
    "export": r"^stock export \(ModelResource\): .* = ([\d,]+) rows/s",
}


# Stock side -----------------------------------------------------------------------------


def run_stock(
    stdout, *, stock_dir: Path, database: str, people: int, between_seed_and_measures=None
) -> dict[str, float]:
    """Seed the stock admin's database afresh and run its measures; its figures by key.
    `between_seed_and_measures()`, if given, runs after the seed and before the measures:
    the project's pages are timed there, so that both sides' pages are timed right after
    the same seed. Timed after the stock's bulk changes, import and export instead, the
    project's pages were a third to a half slower than the same pages timed with nothing
    before them (users page 39 against 23 ms, exact lookups 31-33 against 22-26 ms)."""
    if not (stock_dir / "bench_stock.py").exists():
        raise FileNotFoundError(f"No stock admin at {stock_dir} (see its README).")
    env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(stock_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    python = sys.executable
    output = []
    for args in (
        [python, "manage.py", "migrate", "-v0"],
        [python, "bench_stock.py", "seed", str(people)],
        [python, "-c", STOCK_DRIVER],
    ):
        done = subprocess.run(args, cwd=stock_dir, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"The stock admin failed: {' '.join(args)}\n{done.stderr}")
        # Printed as each step ends, so the log shows what ran in which order.
        for line in done.stdout.splitlines():
            stdout.write(f"  {line}")
            output.append(line)
        if args[1] == "bench_stock.py" and between_seed_and_measures is not None:
            between_seed_and_measures()
    figures = {}
    for key, pattern in STOCK_LINES.items():
        found = next((re.match(pattern, line) for line in output if re.match(pattern, line)), None)
        if found:
            figures[key] = float(found.group(1).replace(",", ""))
    return figures


# Project side ---------------------------------------------------------------------------


PAGE_REPEATS = 11


def _admin() -> User:
    admin = User.objects.filter(is_superuser=True, status=UserStatus.ACTIVE).order_by("id").first()
    if admin is None:
        admin = User.objects.create_superuser("bench_admin", "bench@example.com", None)
    return admin


def _client(admin: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    return client


def _median_page(client: Client, url: str) -> tuple[float, int]:
    """The median of PAGE_REPEATS requests after a warm-up. Machines like this one have
    slow spells of a few seconds (the same page in one process: 20-22 ms, then eight
    requests in a row at 31-34 ms, then 22 ms again); a median of five could fall wholly
    inside one and move a page's figure by half."""
    client.get(url)  # warm, as a real server's caches would be
    return median_page(client, url, repeat=PAGE_REPEATS)


def _capped_matches(fragment: str, cap: int = 100_000) -> str:
    from users.search import users_matching

    found = users_matching(User.objects.all(), fragment)[: cap + 1].count()
    return f"{cap:,}+" if found > cap else f"{found:,}"


def _restore(ids: list[int]) -> None:
    """Untimed: the bench's deactivated people back to active, as before the run."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET status = %s, password = password_while_inactive, "
            "password_while_inactive = '' WHERE id = ANY(%s)",
            [UserStatus.ACTIVE, ids],
        )


def _deactivated_by_bench(since) -> list[int]:
    return list(
        User.history.filter(history_change_reason=BENCH_REASON, history_date__gte=since)
        .values_list("id", flat=True)
        .distinct()
    )


def _bulk_by_filter(client: Client) -> tuple[float, int, StatementTimes]:
    """The admin's "select all N matching" with a filter, then the confirmation page's POST.
    The filter is the organisation whose active people come closest to 100,000."""
    active = User.objects.filter(status=UserStatus.ACTIVE, is_superuser=False)
    sizes = {
        organisation: active.filter(organisation_id=organisation).count()
        for organisation in Organisation.objects.values_list("id", flat=True)
    }
    organisation = min(sizes, key=lambda key: abs(sizes[key] - BULK_SIZE))
    url = (
        reverse("admin:users_user_changelist")
        + f"?status=active&organisation__id__exact={organisation}"
    )
    one = active.filter(organisation_id=organisation).values_list("id", flat=True).first()
    since = _now()
    with statement_times() as times:
        start = time.perf_counter()
        response = client.post(
            url,
            {
                "action": "deactivate_selected",
                "select_across": "1",
                "index": "0",
                "_selected_action": [one],
                "confirm": "yes",
                "reason": BENCH_REASON,
            },
        )
        seconds = time.perf_counter() - start
    assert response.status_code == 302, response.status_code
    changed = _deactivated_by_bench(since)
    _restore(changed)
    return seconds, len(changed), times


def _bulk_by_ids(admin: User) -> tuple[float, int, StatementTimes]:
    """Ticked rows: a selection given as a list of ids (as an API script or the admin's ticked
    boxes give it; as one array parameter, `pk__any_of`), through the same service,
    committed."""
    from django.db import transaction

    from users import services

    ids = list(
        User.objects.filter(status=UserStatus.ACTIVE, is_superuser=False)
        .order_by("-id")
        .values_list("id", flat=True)[:BULK_SIZE]
    )
    with statement_times() as times:
        start = time.perf_counter()
        with transaction.atomic():
            outcome = services.users_deactivate(
                User.objects.filter(pk__any_of=ids), by=admin, reason=BENCH_REASON
            )
        seconds = time.perf_counter() - start
    _restore(ids)
    return seconds, outcome.changed, times


def _now():
    from django.utils import timezone

    return timezone.now()


def _import(admin: User) -> float:
    """`manage.py import_data users FILE --as ADMIN` in a child process, on a fresh file.
    The people it brings stay (deleted) for later runs, so their names hold none of the
    searched fragments: "Person" held "son", and the next run's "son" search counted
    100,000 more matches."""
    tag = str(int(time.time()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "new-people.csv"
        with path.open("w", newline="", encoding="utf-8") as target:
            writer = csv.writer(target)
            writer.writerow(["user_id", "login_id", "first_name", "last_name", "email", "status"])
            writer.writerows(
                [f"C{tag}-{n}", f"cmp{tag}_{n}", "Compare", f"Newcomer{n}"]
                + [f"c{tag}.{n}@example.com", "active"]
                for n in range(IMPORT_ROWS)
            )
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "import_data",
                "users",
                str(path),
                "--as",
                admin.username,
            ],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"The import failed:\n{done.stdout}\n{done.stderr}")
    imported = User.objects.filter(username__startswith=f"cmp{tag}_")
    if imported.count() != IMPORT_ROWS:
        raise RuntimeError(f"The import created {imported.count():,} people of {IMPORT_ROWS:,}.")
    _delete_imported(imported, admin)
    return IMPORT_ROWS / seconds


def _delete_imported(people, admin: User) -> None:
    """Untimed: the people the run imported, deleted as an admin would delete them."""
    from users import services

    services.users_delete(people, by=admin, reason="Benchmark: people bench compare imported")


def _export(client: Client) -> float:
    """The Archived report's CSV download, read to its end as a browser would."""
    url = reverse("reports:archived-export", kwargs={"fmt": "csv"})
    start = time.perf_counter()
    response = client.get(url)
    rows = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return (rows - 1) / seconds


def _checkpoint(stdout) -> None:
    """Untimed: write out what earlier work left in memory before the pages are timed.
    The stock side does the same after its seed; otherwise the writes of the stock's own
    run just before (a seed, bulk changes, an import on another database) are flushed
    while the project's pages are timed, and the project pays for the stock's work."""
    if connection.vendor != "postgresql":
        return
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    stdout.write(f"  (untimed) checkpoint in {time.perf_counter() - start:.1f} s")


def _wait_for_autovacuum(stdout) -> None:
    """Untimed: until no autovacuum worker runs on the server (`AUTOVACUUM_RUNNING`)."""
    if connection.vendor != "postgresql":
        return
    start = time.perf_counter()
    seen: set[str] = set()
    with connection.cursor() as cursor:
        while time.perf_counter() - start < QUIET_WAIT_SECONDS:
            cursor.execute(AUTOVACUUM_RUNNING)
            running, databases = cursor.fetchone()
            if not running:
                break
            seen.update((databases or "").split(", "))
            time.sleep(1)
    waited = time.perf_counter() - start
    on = f" (on {', '.join(sorted(seen - {''}))})" if seen else ""
    stdout.write(f"  (untimed) waited {waited:.0f} s for autovacuum to finish{on}")


def project_pages(stdout) -> dict[str, float | tuple]:
    """The users page and its searches, as an admin opens them."""
    _checkpoint(stdout)
    _wait_for_autovacuum(stdout)
    client = _client(_admin())
    changelist = reverse("admin:users_user_changelist")
    figures: dict[str, float | tuple] = {}

    ms, queries = _median_page(client, changelist)
    stdout.write(f"  users page: {ms:,.1f} ms, {queries} queries")
    figures["users_page"] = ms

    # Someone in the middle of the table with both an email and an SIS id to look up.
    sample = (
        User.objects.filter(status=UserStatus.ACTIVE, sis_user_id__isnull=False)
        .exclude(email="")
        .order_by("id")[User.objects.count() // 2 :][:1]
    )
    person = sample.get()
    searches = {
        "search_common": "walker",
        "search_many": "son",
        "search_everyone": "scale_user",
        "exact_email": person.email,
        "exact_sis": person.sis_user_id,
    }
    for key, fragment in searches.items():
        ms, queries = _median_page(client, f"{changelist}?q={quote_plus(fragment)}")
        matches = _capped_matches(fragment)
        stdout.write(f"  search {fragment!r} ({matches} matches): {ms:,.1f} ms, {queries} queries")
        figures[key] = ms
        figures[f"{key}_matches"] = matches
    return figures


def project_changes(stdout) -> dict[str, float]:
    """Bulk deactivation, the import and the export, committed as a user's would be."""
    _checkpoint(stdout)
    _wait_for_autovacuum(stdout)
    admin = _admin()
    client = _client(admin)
    figures: dict = {}
    runs = []
    for run in ("fresh", "again", "bloated"):
        seconds, changed, times = _bulk_by_filter(client)
        stdout.write(f"  bulk deactivate by filter ({run}): {changed:,} people in {seconds:.2f} s")
        stdout.write(f"    where it went: {times.summary(seconds)}")
        figures[f"bulk_filter_{run}"] = changed / seconds
        runs.append((changed, times))
    seconds, changed, times = _bulk_by_ids(admin)
    stdout.write(f"  bulk deactivate by ids: {changed:,} people in {seconds:.2f} s")
    stdout.write(f"    where it went: {times.summary(seconds)}")
    figures["bulk_ids"] = changed / seconds
    runs.append((changed, times))
    figures["bulk_floor"] = bulk_floor(runs)
    _vacuum_what_the_run_changed(stdout)
    _wait_for_autovacuum(stdout)

    figures["import"] = _import(admin)
    stdout.write(f"  import of {IMPORT_ROWS:,} new people: {figures['import']:,.0f} rows/s")
    figures["import_rows"] = IMPORT_ROWS
    figures["import_floor"] = import_floor_seconds(IMPORT_ROWS)
    stdout.write(
        "  (untimed) the import's floor, rolled back: "
        + ", ".join(f"{what} {seconds:.2f} s" for what, seconds in figures["import_floor"])
    )
    figures["export"] = _export(client)
    stdout.write(f"  Archived export, CSV: {figures['export']:,.0f} rows/s")
    _vacuum_what_the_run_changed(stdout)
    return figures


def _vacuum_what_the_run_changed(stdout) -> None:
    """Untimed: VACUUM ANALYZE of the tables the bulk runs and the import rewrote, as
    autovacuum would soon after (a bench server may run without it). Without it the next
    measures, and the next run on this database, read past every dead row: after one run
    the users page took 154 ms instead of 30."""
    if connection.vendor != "postgresql":
        return
    from reports.models import FigureDelta
    from users.models import UserSearch, UserSession

    tables = [
        User._meta.db_table,
        User.history.model._meta.db_table,
        UserSearch._meta.db_table,
        UserSession._meta.db_table,
        FigureDelta._meta.db_table,
    ]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    stdout.write(f"  (untimed) vacuumed {', '.join(tables)} in {time.perf_counter() - start:.1f} s")


def _as_in_production():
    """DEBUG off, as in production and in the stock admin's settings. With DEBUG on, Django
    keeps every query's text and the templates note where each node came from: a cost
    production does not pay, and the stock side does not either. Changing DEBUG this way
    also rebuilds the template engines without their debug mode."""
    return override_settings(DEBUG=False)


def bench_compare(stdout, options):
    stock_dir = Path(options.get("stock_dir") or STOCK_DIR)
    stdout.write(f"Stock admin: {stock_dir}, {options['stock_database']}")
    project: dict = {}

    def pages_after_the_stocks_seed():
        stdout.write("Project's pages, after the stock's seed and before its measures:")
        with _as_in_production():
            project.update(project_pages(stdout))

    stock = run_stock(
        stdout,
        stock_dir=stock_dir,
        database=options["stock_database"],
        people=options["stock_people"],
        between_seed_and_measures=pages_after_the_stocks_seed,
    )
    stdout.write("Project's changes, after the stock's measures:")
    with _as_in_production():
        project.update(project_changes(stdout))
    stdout.write(
        f"\n{'Measure':<52} {'Project':>11} {'Stock':>11} {'Unit':<7} {'Faster':>8}  {'Goal':<24}"
    )
    for pair in pairs(project, stock):
        stdout.write(pair.line())
    found = floors(project, stock)
    if found:
        stdout.write(
            "\nWhat the database alone takes for the writes the product must make in the same"
            "\ntransaction (a person's row with its indexes, a history row), against the time"
            "\nthe goal allows (bench/floors.py):"
        )
        for floor in found:
            stdout.write(floor.line())
