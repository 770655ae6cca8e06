"""users_statuscount: how many people each organisation has in each status, kept by
statement-level triggers on users_user (PostgreSQL), for the users page's tab counts.

Each statement adds one row per organisation and status it moved, read from its
transition tables (as the search table's insert and delete triggers do, migration 0008):
a bulk change of 100,000 people adds a handful of rows, and no two changes update the
same row, so none waits for another. On a copy of 104,445 people the UPDATE trigger
added about 0.28 s to changing their status (transition tables cannot be limited to
some columns, so every UPDATE of users_user fills them; one person's is a fraction of a
millisecond). TRUNCATE empties the counts with the people. SQLite has no triggers: the
table stays empty there and the page counts its people.

Rows loaded with the triggers off, or the table's own rows restored beside its people
(`loaddata`, `pg_restore --data-only`), put the counts wrong: `manage.py rebuild_figures`
counts everyone again.
"""

from django.db import migrations, models

ROW = "COALESCE({row}.organisation_id, 0), {row}.status"

FORWARDS = f"""
-- Creating the triggers locks users_user against writes until the migration ends (through
-- the count below): on a busy database, give up rather than hold every sign-in queued.
SET LOCAL lock_timeout = '10s';

CREATE FUNCTION users_status_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users_statuscount (organisation_id, status, n)
    SELECT {ROW.format(row="added")}, COUNT(*) FROM added GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE FUNCTION users_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Grouped, not joined: transition tables have no statistics (see migration 0008).
    -- A change that moved nobody (a sign-in's last_login) nets to nothing and adds no row.
    INSERT INTO users_statuscount (organisation_id, status, n)
    SELECT organisation_id, status, SUM(n) FROM (
        SELECT {ROW.format(row="after")}, 1 AS n FROM after
        UNION ALL
        SELECT {ROW.format(row="before")}, -1 FROM before
    ) AS moved (organisation_id, status, n)
    GROUP BY 1, 2
    HAVING SUM(n) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION users_status_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO users_statuscount (organisation_id, status, n)
    SELECT {ROW.format(row="removed")}, -COUNT(*) FROM removed GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE FUNCTION users_status_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Exclusive, so that a fold running meanwhile cannot put back rows it had taken.
    LOCK TABLE users_statuscount IN EXCLUSIVE MODE;
    DELETE FROM users_statuscount;
    RETURN NULL;
END $$;

CREATE TRIGGER users_status_added AFTER INSERT ON users_user
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_status_added();
CREATE TRIGGER users_status_changed AFTER UPDATE ON users_user
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION users_status_changed();
CREATE TRIGGER users_status_removed AFTER DELETE ON users_user
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION users_status_removed();
CREATE TRIGGER users_status_emptied AFTER TRUNCATE ON users_user
    FOR EACH STATEMENT EXECUTE FUNCTION users_status_emptied();

-- The people already there, counted once: the triggers' lock keeps writers out until the
-- migration commits, so no one is counted twice or missed.
INSERT INTO users_statuscount (organisation_id, status, n)
SELECT {ROW.format(row="u")}, COUNT(*) FROM users_user AS u GROUP BY 1, 2;
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS users_status_added ON users_user;
DROP TRIGGER IF EXISTS users_status_changed ON users_user;
DROP TRIGGER IF EXISTS users_status_removed ON users_user;
DROP TRIGGER IF EXISTS users_status_emptied ON users_user;
DROP FUNCTION IF EXISTS users_status_added();
DROP FUNCTION IF EXISTS users_status_changed();
DROP FUNCTION IF EXISTS users_status_removed();
DROP FUNCTION IF EXISTS users_status_emptied();
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0027_search_index_on_folded_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("organisation_id", models.IntegerField()),
                ("status", models.CharField(max_length=10)),
                ("n", models.BigIntegerField()),
            ],
            options={
                "default_permissions": (),
                "indexes": [
                    models.Index(fields=["organisation_id"], name="statuscount_org_idx")
                ],
            },
        ),
        migrations.RunPython(_run(FORWARDS), _run(BACKWARDS)),
    ]
