"""The change log reads each history table newest first, by (history_date, history_id).

simple-history indexes history_date alone, and a bulk change gives thousands of rows the
same history_date, so "the newest 51 rows" meant sorting every row of that moment (seconds
on a large table). An index on both columns gives them in order. Written as SQL because
the history models' options come from simple-history (an index in the migration state
would be removed again by the next makemigrations).
"""

from django.db import migrations

TABLES = (
    "users_historicaluser",
    "users_historicalorganisation",
    "users_historicalsegment",
    "users_historicalsegmentmembership",
    "users_historicalaccesstoken",
)


def order_indexes(tables) -> tuple[list[str], list[str]]:
    create = [
        f"CREATE INDEX IF NOT EXISTS {table}_log_order ON {table} (history_date, history_id)"
        for table in tables
    ]
    drop = [f"DROP INDEX IF EXISTS {table}_log_order" for table in tables]
    return create, drop


CREATE, DROP = order_indexes(TABLES)


class Migration(migrations.Migration):
    dependencies = [("users", "0008_user_search_table")]

    operations = [migrations.RunSQL(CREATE, DROP)]
