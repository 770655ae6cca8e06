"""Search folds the letters that have two lower-case forms to one, on both databases.

The search text is stored folded and read in order with a plain LIKE (users.search.holds),
so the fold must give one form of each letter whatever its case: PostgreSQL's lower() turns
"ΟΔΥΣΣΈΑΣ" into "οδυσσεασ", while "Οδυσσέας" is stored as "οδυσσεας"; the micro sign and
Greek's symbol forms (ϐ, ϑ, …) are other letters' lower case to UPPER() but not to LIKE.
Python's fold (SQLite) maps them as Unicode's NFKD does, and the final sigma explicitly;
`lms_fold` now maps the same, and the stored texts holding one are folded again (a read of
the table; only those rows are written).
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


# Each letter and the one it folds to (users.folding.fold: NFKD, and ς explicitly).
SECOND_FORMS = "ςµϐϑϕϖϰϱϵ"
FIRST_FORMS = "σμβθφπκρε"

FORWARDS = f"""
{fold_function(
    f"translate(lower(unaccent('unaccent'::regdictionary, $1)), '{SECOND_FORMS}', '{FIRST_FORMS}')"
)}
UPDATE users_usersearch SET text = lms_fold(text) WHERE text ~ '[{SECOND_FORMS}]';
"""

# A σ may have been a ς (and so on): those texts are folded again from the people's columns.
BACKWARDS = f"""
{fold_function("lower(unaccent('unaccent'::regdictionary, $1))")}
UPDATE users_usersearch AS s SET text = lms_fold({SEARCH_TEXT})
FROM users_user AS u WHERE u.id = s.user_id AND s.text ~ '[{FIRST_FORMS}]';
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
