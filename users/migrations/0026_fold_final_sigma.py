"""Search folds Greek's final sigma (ς) to σ, on both databases (users.folding).

The search text is stored folded and compared with a plain LIKE (users.search.holds), so
the fold must give one form of each letter whatever its case: PostgreSQL's lower() turns
"ΟΔΥΣΣΈΑΣ" into "οδυσσεασ", while "Οδυσσέας" is stored as "οδυσσεας". `lms_fold` now maps
ς to σ, and the stored texts holding a ς are folded again (a read of the table; only those
rows are written).
"""

from django.db import migrations

SEARCH_TEXT = (
    "u.username || ' ' || u.first_name || ' ' || u.last_name || ' ' || "
    "u.email || ' ' || COALESCE(u.sis_user_id, '')"
)


def fold_function(body: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION lms_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT {body} $$;
"""


FORWARDS = f"""
{fold_function("translate(lower(unaccent('unaccent'::regdictionary, $1)), 'ς', 'σ')")}
UPDATE users_usersearch SET text = lms_fold(text) WHERE strpos(text, 'ς') > 0;
"""

# A σ may have been a ς: those texts are folded again from the people's own columns.
BACKWARDS = f"""
{fold_function("lower(unaccent('unaccent'::regdictionary, $1))")}
UPDATE users_usersearch AS s SET text = lms_fold({SEARCH_TEXT})
FROM users_user AS u WHERE u.id = s.user_id AND strpos(s.text, 'σ') > 0;
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, FORWARDS)


def backwards(apps, schema_editor):
    _run(schema_editor, BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0025_active_username_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
