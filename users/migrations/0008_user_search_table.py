"""Users are searched through a table of their searched text (users.models.UserSearch).

On PostgreSQL, statement-level triggers on users_user keep it: new users' rows are added,
and an update rewrites the text only of users whose username, names, email or SIS ID
changed, so a bulk change of status writes nothing here; a deleted user's row goes. (A
TRUNCATE of users_user alone would leave rows behind, harmless as every search joins the
users; Django's flush empties both tables together.) The trigram index moves from
users_user (migration 0006) to this table. The triggers see every way rows arrive, COPY
included (imports and the scale data), which is why this is done in the database rather
than in each service. SQLite has no trigram index and searches the columns themselves.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SEARCH_TEXT = (
    "{row}.username || ' ' || {row}.first_name || ' ' || {row}.last_name || ' ' || "
    "{row}.email || ' ' || COALESCE({row}.sis_user_id, '')"
)
OLD_INDEX = "users_user_search_trgm"
OLD_INDEX_SQL = (
    "UPPER((\"username\" || ' ' || \"first_name\" || ' ' || \"last_name\" || ' ' || "
    "\"email\" || ' ' || COALESCE(\"sis_user_id\", ''))::text)"
)

FORWARDS = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_usersearch_trgm ON users_usersearch USING gin (UPPER("text") gin_trgm_ops);

CREATE FUNCTION users_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users_usersearch (user_id, text)
    SELECT added.id, {SEARCH_TEXT.format(row="added")} FROM added
    ON CONFLICT (user_id) DO UPDATE SET text = EXCLUDED.text;
    RETURN NULL;
END $$;

CREATE FUNCTION users_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Grouped rather than joined: transition tables have no statistics, and a join of
    -- them can be planned as a nested loop, quadratic in the rows updated. Comparing the
    -- joined texts is enough: where they are equal there is nothing to rewrite.
    INSERT INTO users_usersearch (user_id, text)
    SELECT id, MAX(text) FILTER (WHERE is_new)
    FROM (
        SELECT after.id, {SEARCH_TEXT.format(row="after")} AS text, TRUE AS is_new FROM after
        UNION ALL
        SELECT before.id, {SEARCH_TEXT.format(row="before")}, FALSE FROM before
    ) AS versions
    GROUP BY id
    HAVING COUNT(DISTINCT text) > 1
    ON CONFLICT (user_id) DO UPDATE SET text = EXCLUDED.text;
    RETURN NULL;
END $$;

CREATE FUNCTION users_search_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM users_usersearch WHERE user_id IN (SELECT id FROM removed);
    RETURN NULL;
END $$;

CREATE TRIGGER users_search_added AFTER INSERT ON users_user
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_search_added();
CREATE TRIGGER users_search_changed AFTER UPDATE ON users_user
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION users_search_changed();
CREATE TRIGGER users_search_removed AFTER DELETE ON users_user
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION users_search_removed();

INSERT INTO users_usersearch (user_id, text)
SELECT u.id, {SEARCH_TEXT.format(row="u")} FROM users_user u;

DROP INDEX IF EXISTS {OLD_INDEX};
"""

BACKWARDS = f"""
CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON users_user USING gin ({OLD_INDEX_SQL} gin_trgm_ops);
DROP TRIGGER IF EXISTS users_search_added ON users_user;
DROP TRIGGER IF EXISTS users_search_changed ON users_user;
DROP TRIGGER IF EXISTS users_search_removed ON users_user;
DROP FUNCTION IF EXISTS users_search_added();
DROP FUNCTION IF EXISTS users_search_changed();
DROP FUNCTION IF EXISTS users_search_removed();
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # Several statements (and functions with ";" inside) in one go: no parameters, so that
    # the driver sends them as one simple query.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, FORWARDS)


def backwards(apps, schema_editor):
    _run(schema_editor, BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0007_account_users_by_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSearch",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("text", models.TextField()),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
