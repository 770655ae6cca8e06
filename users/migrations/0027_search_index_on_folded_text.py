"""The search table's trigram index on its text as stored (folded), not on UPPER(text).

The text is stored folded (users.folding: lower case, no accents), so a search asks
`text LIKE '%word%'` of it with the word folded the same way. Asked of UPPER(text), every
row a count or a page reads in turn paid for UPPER() as well: reading the people a common
fragment ("son", 12% of everyone) matches until the count passes its cap took 2.5-3.5
times as long as the plain LIKE. pg_trgm serves a case-sensitive LIKE from the same kind
of index, so the index finds the same rows as before (tests/users/test_search.py).
"""

from django.db import migrations

OLD_INDEX = "users_usersearch_trgm"
NEW_INDEX = "users_usersearch_text_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW_INDEX} ON users_usersearch '
        'USING gin ("text" gin_trgm_ops)'
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} ON users_usersearch "
        'USING gin (UPPER("text") gin_trgm_ops)'
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW_INDEX}")


class Migration(migrations.Migration):
    # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("users", "0026_fold_final_sigma")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
