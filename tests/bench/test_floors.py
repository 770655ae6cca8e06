"""`bench compare`'s floors: what the database alone takes for the writes a goal covers, set
beside the time the goal allows. No timing is asserted: figures belong in notes."""

import pytest

from bench.compare import project_changes
from bench.floors import Floor, allowed_seconds, bulk_floor, floors, import_floor_seconds
from bench.statements import StatementTimes
from users.models import User

STOCK = {"copy_limit": 48_000, "bulk": 3_000, "import": 500}


def _times(**seconds) -> StatementTimes:
    times = StatementTimes()
    for kind, value in seconds.items():
        kind = {"update": "UPDATE users_user", "history": "INSERT INTO users_historicaluser"}.get(
            kind, kind
        )
        times.seconds[kind] = value
        times.count[kind] = 1
    return times


def test_a_goal_below_the_floor_is_said_so_and_one_above_it_is_not():
    below = Floor(
        "Import 100,000 new people",
        [("people", 6.0), ("history", 0.8)],
        [("30× the stock", 7.1), ("35% of COPY", 5.1)],
    )
    assert below.seconds == pytest.approx(6.8) and below.below_goal is True
    assert "6.00 s + history 0.80 s = 6.80 s" in below.line()
    assert (
        "30× the stock allows 7.10 s, 35% of COPY allows 5.10 s: "
        "the goal is below what the database alone takes"
    ) in below.line()

    above = Floor("Bulk", [("UPDATE users_user", 2.0)], [("10× the stock", 3.3)])
    assert above.below_goal is False and above.line().endswith("within the goal")
    assert "=" not in above.line(), "one part has no sum"

    unknown = Floor("Bulk", [("UPDATE users_user", 2.0)], [])
    assert unknown.below_goal is None and "allows" not in unknown.line()


def test_the_time_a_goal_allows_comes_from_the_stocks_rate():
    assert allowed_seconds(100_000, 3_000, 10) == pytest.approx(3.333, abs=0.001)
    assert allowed_seconds(100_000, None, 10) is None


def test_the_bulk_floor_is_the_fastest_runs_people_and_history_statements():
    runs = [
        (100_000, _times(update=9.0, history=1.2, reads=0.3)),
        (100_000, _times(update=8.0, history=1.5)),
        (0, _times(update=0.1)),
    ]
    changed, parts = bulk_floor(runs)
    assert changed == 100_000
    assert parts == [("UPDATE users_user", 8.0), ("INSERT INTO users_historicaluser", 1.5)]
    assert bulk_floor([]) is None


def test_the_imports_floor_is_judged_by_both_terms_of_its_goal():
    project = {
        "import_rows": 100_000,
        "import_floor": [("people", 6.0), ("history", 0.8)],
        "bulk_floor": (100_000, [("UPDATE users_user", 9.0)]),
    }
    imported, bulk = floors(project, STOCK)
    # 30× of 500 rows/s allows 6.67 s; 35% of a 48,000 rows/s COPY allows 5.95 s.
    assert [term for term, _ in imported.allowed] == ["30× the stock", "35% of COPY"]
    assert [seconds for _, seconds in imported.allowed] == [
        pytest.approx(6.667, abs=0.001),
        pytest.approx(5.952, abs=0.001),
    ]
    assert imported.below_goal is True
    # Within the looser term, still below the stricter one: the goal needs both.
    within_one = floors({**project, "import_floor": [("people", 6.2)]}, STOCK)[0]
    assert within_one.below_goal is True
    assert floors({**project, "import_floor": [("people", 5.0)]}, STOCK)[0].below_goal is False
    assert bulk.allowed == [("10× the stock", pytest.approx(3.333, abs=0.001))]
    assert bulk.below_goal is True
    assert floors({}, STOCK) == []


@pytest.mark.postgresql("the floor writes its rows with generate_series")
@pytest.mark.django_db
def test_the_import_floor_writes_people_and_history_and_leaves_nothing_behind(organisation):
    before = User.objects.count(), User.history.count()
    parts = import_floor_seconds(50)
    assert [what for what, _ in parts] == ["50 people into users_user", "their history rows"]
    assert all(seconds > 0 for _, seconds in parts)
    assert (User.objects.count(), User.history.count()) == before


@pytest.mark.postgresql("the floor writes its rows with generate_series")
@pytest.mark.django_db
def test_the_floor_is_written_by_the_same_triggers_as_an_import(organisation, monkeypatch):
    """The people go through the table's triggers: just before the floor's transaction is
    rolled back, the search table holds their rows, as it would after an import."""
    from django.db import transaction

    from users.models import UserSearch

    seen = {}
    set_rollback = transaction.set_rollback

    def looking_first(rollback):
        seen["search rows"] = UserSearch.objects.filter(text__startswith="bench_floor_").count()
        set_rollback(rollback)

    monkeypatch.setattr("bench.floors.transaction.set_rollback", looking_first)
    import_floor_seconds(20)
    assert seen["search rows"] == 20
    assert not UserSearch.objects.filter(text__startswith="bench_floor_").exists()


def test_the_compare_run_records_both_floors(monkeypatch):
    """project_changes hands the bulk runs' statements and the import's floor to `floors`."""
    import bench.compare as compare

    monkeypatch.setattr(compare, "_checkpoint", lambda stdout: None)
    monkeypatch.setattr(compare, "_wait_for_autovacuum", lambda stdout: None)
    monkeypatch.setattr(compare, "_vacuum_what_the_run_changed", lambda stdout: None)
    monkeypatch.setattr(compare, "_admin", lambda: None)
    monkeypatch.setattr(compare, "_client", lambda admin: None)
    monkeypatch.setattr(
        compare, "_bulk_by_filter", lambda client: (10.0, 100_000, _times(update=8.0))
    )
    monkeypatch.setattr(compare, "_bulk_by_ids", lambda admin: (9.0, 100_000, _times(update=7.0)))
    monkeypatch.setattr(compare, "_import", lambda admin: 6_000.0)
    monkeypatch.setattr(compare, "_export", lambda client: 170_000.0)
    monkeypatch.setattr(compare, "import_floor_seconds", lambda rows: [("people", 6.0)])

    class Out:
        lines: list = []

        def write(self, line):
            self.lines.append(line)

    figures = project_changes(Out())
    assert figures["bulk_floor"] == (100_000, [("UPDATE users_user", 7.0)])
    assert figures["import_floor"] == [("people", 6.0)]
    assert any("the import's floor, rolled back: people 6.00 s" in line for line in Out.lines)
