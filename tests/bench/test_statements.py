"""`bench.statements`: the breakdown `bench compare` prints under each bulk deactivation."""

import pytest

from bench.statements import statement_kind, statement_times
from users import services
from users.models import User


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ('UPDATE "users_user" SET "status" = %s WHERE id = ANY(%s)', "UPDATE users_user"),
        (
            'INSERT INTO "users_historicaluser" ("id") SELECT "id" FROM "users_user"',
            "INSERT INTO users_historicaluser",
        ),
        # The ledger: a CTE that reads people, then an upsert.
        (
            'WITH u AS MATERIALIZED (SELECT id FROM "users_user" WHERE id = ANY(%s)) '
            'INSERT INTO "reports_figuredelta" (day, n) SELECT * FROM u WHERE true '
            'ON CONFLICT (day) DO UPDATE SET n = "reports_figuredelta".n + EXCLUDED.n',
            "INSERT INTO reports_figuredelta",
        ),
        (
            'DELETE FROM "users_usersession" WHERE user_id = ANY(%s)',
            "DELETE FROM users_usersession",
        ),
        # Locking reads write nothing of their own.
        ('SELECT "id" FROM "users_user" WHERE id = ANY(%s) FOR UPDATE', "reads"),
        ('SELECT "id" FROM "users_user" FOR UPDATE OF "users_user" SKIP LOCKED', "reads"),
        ("SELECT 1", "reads"),
    ],
)
def test_a_statement_is_counted_as_what_it_writes(sql, kind):
    assert statement_kind(sql) == kind


def test_a_bulk_deactivation_is_broken_down_by_what_its_statements_write(make_user, admin_user):
    people = [make_user() for _ in range(3)]
    with statement_times() as times:
        outcome = services.users_deactivate(
            User.objects.filter(pk__in=[person.pk for person in people]),
            by=admin_user,
            reason="Left",
        )
    assert outcome.changed == 3
    assert times.count["UPDATE users_user"] >= 1
    assert times.count["INSERT INTO users_historicaluser"] >= 1
    assert times.count["reads"] >= 1
    elapsed = sum(times.seconds.values()) + 0.5
    summary = times.summary(elapsed, shown=2)
    # The two largest kinds by name, the rest together, then the time outside.
    largest = [kind for kind, _ in times.seconds.most_common(2)]
    assert summary.startswith(f"{largest[0]} ")
    assert f", {largest[1]} " in summary
    assert "other SQL" in summary
    assert summary.endswith("outside the statements 0.50 s")


def test_nothing_is_timed_once_the_block_has_ended(make_user, admin_user):
    with statement_times() as times:
        pass
    services.users_deactivate(User.objects.filter(pk=make_user().pk), by=admin_user, reason="Left")
    assert not times.count
