"""Search folds case and accents (users.folding): the search table holds folded text.

PostgreSQL gets `lms_fold(text)` = lower(unaccent(text)), declared IMMUTABLE with its
dictionary named, so that a search word folded by it in a query is folded once, when the
query is planned, and the trigram index (on the folded text) serves the search. The
triggers of migrations 0008 and 0011 now store the folded text, and the rows already there
are folded. SQLite registers a Python `lms_fold` on each connection instead.
"""

from django.db import migrations

SEARCH_TEXT = (
    "{row}.username || ' ' || {row}.first_name || ' ' || {row}.last_name || ' ' || "
    "{row}.email || ' ' || COALESCE({row}.sis_user_id, '')"
)


def trigger_functions(text: str) -> str:
    """The trigger functions of 0008 (insert) and 0011 (update), storing `text`."""
    return f"""
CREATE OR REPLACE FUNCTION users_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users_usersearch (user_id, text)
    SELECT added.id, {text.format(row="added")} FROM added
    ON CONFLICT (user_id) DO UPDATE SET text = EXCLUDED.text;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION users_search_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users_usersearch (user_id, text)
    VALUES (NEW.id, {text.format(row="NEW")})
    ON CONFLICT (user_id) DO UPDATE SET text = EXCLUDED.text;
    RETURN NULL;
END $$;
"""


FORWARDS = f"""
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE OR REPLACE FUNCTION lms_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(unaccent('unaccent'::regdictionary, $1)) $$;

{trigger_functions(f"lms_fold({SEARCH_TEXT})")}

UPDATE users_usersearch SET text = lms_fold(text);
"""

BACKWARDS = f"""
{trigger_functions(SEARCH_TEXT)}

UPDATE users_usersearch AS s SET text = {SEARCH_TEXT.format(row="u")}
FROM users_user AS u WHERE u.id = s.user_id;

DROP FUNCTION IF EXISTS lms_fold(text);
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
        ("users", "0013_taken_identifiers_not_available"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
