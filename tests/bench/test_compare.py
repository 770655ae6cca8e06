"""`manage.py bench compare`: how it reads the stock admin's figures and pairs them with the
project's. No timing is asserted: figures belong in notes."""

import sys
import textwrap
from io import StringIO

import pytest

from bench.compare import run_stock
from bench.pairs import Pair, pairs

STOCK_OUTPUT = """\
physical limit: COPY 1000000 learner rows in 22.63 s = 44,185 rows/s
stock search 'Walker': 1,250 ms median, 5 queries
stock exact SIS id search: 1,600 ms median, 5 queries
stock users page: 215 ms median, 105 queries
stock name fragment search 'Walker12': 1,257 ms median, 105 queries
stock exact email search: 1,617 ms median, 7 queries
stock bulk_update_with_history: 10000 users in 4.42 s = 2,262 users/s
stock import (ModelResource defaults): 5000 new users in 8.79 s = 569 rows/s
stock export (ModelResource): 200000 rows in 16.57 s = 12,068 rows/s, peak RSS grew 184 MB
"""


@pytest.fixture
def stock_dir(tmp_path):
    """A stand-in for ../shared/stock-admin whose commands print what the real one prints."""
    printing = f"print({STOCK_OUTPUT!r}, end='')"
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "bench_stock.py").write_text(
        textwrap.dedent(f"""
            import sys
            if sys.argv[1:2] == ["seed"]:
                {printing}
        """)
    )
    return tmp_path


def test_stock_figures_are_read_from_its_own_output(stock_dir, monkeypatch):
    # The driver imports bench_stock and measures; here every child prints the sample.
    monkeypatch.setattr("bench.compare.STOCK_DRIVER", f"print({STOCK_OUTPUT!r})")
    figures = run_stock(StringIO(), stock_dir=stock_dir, database="postgres:///unused", people=10)
    assert figures == {
        "copy_limit": 44185,
        "users_page": 215,
        "search_common": 1250,
        "search_fragment": 1257,
        "exact_email": 1617,
        "exact_sis": 1600,
        "bulk": 2262,
        "import": 569,
        "export": 12068,
    }


def test_a_failing_stock_admin_stops_the_comparison(stock_dir, monkeypatch):
    monkeypatch.setattr("bench.compare.STOCK_DRIVER", "raise SystemExit('no database')")
    with pytest.raises(RuntimeError, match="The stock admin failed"):
        run_stock(StringIO(), stock_dir=stock_dir, database="postgres:///unused", people=10)


def test_a_missing_stock_admin_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        run_stock(StringIO(), stock_dir=tmp_path, database="postgres:///unused", people=10)


def test_ratios_read_times_and_rates_the_right_way_round():
    page = Pair("Users page", project=20, stock=200, unit="ms", goal=8)
    assert page.faster == 10 and page.verdict() == "met"
    bulk = Pair("Bulk", project=11_000, stock=2_262, unit="users/s", goal=10)
    assert bulk.faster == pytest.approx(4.86, abs=0.01) and bulk.verdict() == "MISSED"
    both = Pair("Exact", project=25, stock=1_600, unit="ms", goal=50, absolute_met=False)
    assert both.faster == 64 and both.verdict() == "MISSED"
    missing = Pair("No stock figure", project=25, stock=None, unit="ms", goal=8)
    assert missing.faster is None and missing.verdict() == "MISSED"
    assert "—" in missing.line()


def test_every_measure_of_the_issue_is_paired():
    project = {
        "users_page": 20,
        "search_common": 40,
        "search_common_matches": "26,000",
        "search_many": 80,
        "search_many_matches": "100,000+",
        "search_everyone": 90,
        "search_everyone_matches": "100,000+",
        "exact_email": 10,
        "exact_sis": 10,
        "bulk_filter_fresh": 30_000,
        "bulk_filter_again": 29_000,
        "bulk_filter_bloated": 28_000,
        "bulk_ids": 31_000,
        "import": 20_000,
        "export": 150_000,
    }
    stock = {
        "copy_limit": 44_185,
        "users_page": 215,
        "search_common": 1_250,
        "exact_email": 1_617,
        "exact_sis": 1_600,
        "bulk": 2_262,
        "import": 569,
        "export": 12_068,
    }
    lines = [pair.line() for pair in pairs(project, stock)]
    assert len(lines) == 12
    assert all(line.endswith("met") for line in lines), "\n".join(lines)
    assert any("≥ 35% of COPY (now 45%)" in line for line in lines)


def test_the_command_offers_compare(capsys):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="compare"):
        call_command("bench", "no-such-section", stdout=sys.stdout)


def test_the_project_is_measured_with_debug_off_as_in_production(monkeypatch, settings):
    """The stock admin's settings have DEBUG off; the project's side must not pay for DEBUG
    (every query's text kept, templates rendered in debug mode) when the other does not."""
    from django.conf import settings as live
    from django.template import engines

    from bench import compare

    seen = []

    def measured(part):
        def measure(stdout):
            seen.append((part, live.DEBUG, engines["django"].engine.debug))
            return {}

        return measure

    def stock(stdout, *, between_seed_and_measures, **kwargs):
        between_seed_and_measures()
        return {}

    settings.DEBUG = True
    monkeypatch.setattr(compare, "run_stock", stock)
    monkeypatch.setattr(compare, "project_pages", measured("pages"))
    monkeypatch.setattr(compare, "project_changes", measured("changes"))
    monkeypatch.setattr(compare, "pairs", lambda project, stock: [])
    compare.bench_compare(StringIO(), {"stock_database": "unused", "stock_people": 10})
    assert seen == [("pages", False, False), ("changes", False, False)]
    assert live.DEBUG is True, "DEBUG is put back after the run"


def test_the_project_pages_are_timed_between_the_stocks_seed_and_its_measures(
    stock_dir, monkeypatch
):
    """Both sides' pages right after the same seed: the project's are not timed after
    the stock's bulk changes, import and export, which left them a third slower."""
    from bench import compare

    seeded, measured = stock_dir / "seeded", stock_dir / "measured"
    script = (stock_dir / "bench_stock.py").read_text()
    (stock_dir / "bench_stock.py").write_text(
        script + f"\n    open({str(seeded)!r}, 'w').close()\n"
    )
    monkeypatch.setattr(compare, "STOCK_DRIVER", f"open({str(measured)!r}, 'w').close()")
    seen = []
    out = StringIO()

    def between():
        seen.append((seeded.exists(), measured.exists()))
        out.write("  project pages\n")

    compare.run_stock(
        out,
        stock_dir=stock_dir,
        database="postgres:///unused",
        people=10,
        between_seed_and_measures=between,
    )
    assert seen == [(True, False)]
    assert measured.exists()
    # The log reads in the order things ran: the stock's seed, then the project's pages.
    log = out.getvalue()
    assert log.index("physical limit: COPY") < log.index("project pages")


def test_both_sides_are_timed_after_a_checkpoint(monkeypatch):
    """Neither side pays for the other's writes: the stock's driver checkpoints after its
    seed and before its first timed page, and the project's side before its first."""
    from bench import compare

    driver = compare.STOCK_DRIVER
    assert 'cursor.execute("CHECKPOINT")' in driver
    assert driver.index("CHECKPOINT") < driver.index("stock.timed")
    assert driver.index("CHECKPOINT") < driver.index("stock.measure()")
    assert compare.AUTOVACUUM_RUNNING in driver
    assert driver.index("CHECKPOINT") < driver.index("autovacuum worker")
    assert driver.index("autovacuum worker") < driver.index("stock.timed")

    order = []

    class Stop(Exception):
        pass

    def admin():
        order.append("first timed step")
        raise Stop

    monkeypatch.setattr(compare, "_checkpoint", lambda stdout: order.append("checkpoint"))
    monkeypatch.setattr(
        compare, "_wait_for_autovacuum", lambda stdout: order.append("autovacuum done")
    )
    monkeypatch.setattr(compare, "_admin", admin)
    for part in (compare.project_pages, compare.project_changes):
        order.clear()
        with pytest.raises(Stop):
            part(StringIO())
        assert order == ["checkpoint", "autovacuum done", "first timed step"]


def test_the_stock_driver_runs_as_python():
    from bench import compare

    compile(compare.STOCK_DRIVER, "<stock driver>", "exec")


def test_the_project_waits_until_no_autovacuum_worker_runs(monkeypatch):
    """Pages timed beside an autovacuum worker (of either database) pay for it on a
    two-core machine: the wait polls until none runs, and says what it waited for."""
    from contextlib import contextmanager

    from bench import compare

    answers = iter([(2, "stockbench"), (1, "bench1m, stockbench"), (0, None)])
    asked, slept = [], []

    class Cursor:
        def execute(self, sql):
            asked.append(sql)

        def fetchone(self):
            return next(answers)

    class Connection:
        vendor = "postgresql"

        @contextmanager
        def cursor(self):
            yield Cursor()

    monkeypatch.setattr(compare, "connection", Connection())
    monkeypatch.setattr(compare.time, "sleep", slept.append)
    out = StringIO()
    compare._wait_for_autovacuum(out)
    assert asked == [compare.AUTOVACUUM_RUNNING] * 3
    assert len(slept) == 2
    assert "waited" in out.getvalue() and "(on bench1m, stockbench)" in out.getvalue()


@pytest.mark.django_db
def test_the_checkpoint_is_asked_of_postgresql_and_skipped_elsewhere():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import compare

    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        compare._checkpoint(out)
    asked = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert asked == ["CHECKPOINT"]
        assert "checkpoint" in out.getvalue()
    else:
        assert asked == []
