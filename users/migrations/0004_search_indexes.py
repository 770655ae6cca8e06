"""Trigram indexes behind the users page search (PostgreSQL only).

Django's admin search is `icontains`, which PostgreSQL runs as UPPER(col::text) LIKE
UPPER('%term%'); a GIN trigram index on that exact expression serves it. SQLite has no such
index and searches by scanning, which is fine at demo sizes.
"""

from django.db import migrations

SEARCHED = ("username", "email", "first_name", "last_name", "sis_user_id")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS users_user_{column}_trgm ON users_user "
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS users_user_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("users", "0003_access_tokens")]

    operations = [migrations.RunPython(create, drop)]
