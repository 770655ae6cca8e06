"""Remove the blank "Changed" history rows that every sign-in wrote (issue 13, item 9).

Django's update_last_login saved the whole user, and simple-history wrote a row for the
save although last_login is not tracked: a row identical to the one before it, with no
reason. users/signals.py now writes last_login without history; this removes the rows
already written.

A row goes when it is a change ("~"), has no reason, and every tracked column equals the
person's previous row (by history_date, history_id): nothing but last_login changed. Rows
with a reason (a pause of sign-in, a bulk change that changed nothing) stay. Set-based, one
statement per range of 20,000 people, each in its own transaction, so a large table is
never sorted whole nor locked for the whole run.
"""

from django.db import migrations

TABLE = "users_historicaluser"
HISTORY_META = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}
PEOPLE_PER_STATEMENT = 20_000


def delete_sql(columns, vendor) -> str:
    same = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    previous = ", ".join(f"LAG({c}) OVER w AS previous_{n}" for n, c in enumerate(columns))
    unchanged = " AND ".join(f"{c} {same} previous_{n}" for n, c in enumerate(columns))
    return (
        f"DELETE FROM {TABLE} WHERE history_id IN ("
        f" SELECT history_id FROM ("
        f"  SELECT history_id, history_type, history_change_reason, {', '.join(columns)},"
        f"   {previous}, ROW_NUMBER() OVER w AS position"
        f"  FROM {TABLE} WHERE id >= %s AND id < %s"
        f"  WINDOW w AS (PARTITION BY id ORDER BY history_date, history_id)"
        f" ) AS ordered"
        f" WHERE position > 1 AND history_type = '~'"
        f" AND COALESCE(history_change_reason, '') = '' AND {unchanged})"
    )


def drop_blank_sign_in_rows(apps, schema_editor):
    connection = schema_editor.connection
    historical = apps.get_model("users", "HistoricalUser")
    quote = connection.ops.quote_name
    columns = [
        quote(field.column)
        for field in historical._meta.concrete_fields
        if field.name not in HISTORY_META
    ]
    sql = delete_sql(columns, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {TABLE}")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, PEOPLE_PER_STATEMENT):
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, start + PEOPLE_PER_STATEMENT])


class Migration(migrations.Migration):
    # One transaction per statement (see above), not one for the whole table.
    atomic = False

    dependencies = [("users", "0011_search_trigger_per_row")]

    operations = [migrations.RunPython(drop_blank_sign_in_rows, migrations.RunPython.noop)]
