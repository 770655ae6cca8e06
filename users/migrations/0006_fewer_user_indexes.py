"""Fewer, better indexes on users_user: faster search and much faster bulk changes.

Every change of status rewrites the row, and PostgreSQL then adds an entry to every index
of the table, so each index costs every bulk deactivation, deletion and import. Here:

- the five trigram indexes of migration 0004 (one per searched column) become one, on the
  columns joined (see users/search.py): one index scan and one check per row for a search
  word instead of five, and one index to update instead of five;
- the index Django adds for the organisation foreign key goes: user_org_status_idx
  (organisation, status) serves every look-up by organisation;
- the `varchar_pattern_ops` copy of the username index goes: nothing searches usernames
  by prefix (the search is by substring, through the trigram index).

Built CONCURRENTLY, so that a live table keeps taking writes while the index builds.
SQLite has none of these indexes.
"""

from django.db import migrations, models

# As users.search.SEARCH_INDEX_SQL compiles it (tests/users/test_search.py checks that
# PostgreSQL uses this index for the users page search).
SEARCH_INDEX = "users_user_search_trgm"
SEARCH_INDEX_SQL = (
    "UPPER((\"username\" || ' ' || \"first_name\" || ' ' || \"last_name\" || ' ' || "
    "\"email\" || ' ' || COALESCE(\"sis_user_id\", ''))::text)"
)
OLD_TRIGRAM_COLUMNS = ("username", "email", "first_name", "last_name", "sis_user_id")


def _username_prefix_indexes(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(indexname) FROM pg_indexes WHERE tablename = 'users_user' "
            "AND indexdef LIKE '%(username varchar_pattern_ops)%'"
        )
        return [name for (name,) in cursor.fetchall()]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {SEARCH_INDEX} ON users_user "
        f"USING gin ({SEARCH_INDEX_SQL} gin_trgm_ops)"
    )
    for column in OLD_TRIGRAM_COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS users_user_{column}_trgm")
    for name in _username_prefix_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_user_username_like ON users_user "
        '("username" varchar_pattern_ops)'
    )
    for column in OLD_TRIGRAM_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS users_user_{column}_trgm ON users_user "
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {SEARCH_INDEX}")


class Migration(migrations.Migration):
    # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0005_deletion_candidates")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="users",
                to="users.organisation",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
