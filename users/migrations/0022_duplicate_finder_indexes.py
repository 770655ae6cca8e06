"""The duplicate finder's indexes (issue 17): its "same email" groups (user_email_lower_idx,
now covering, still serving exact email search) and "same name and a shared course" groups
(user_dup_name_idx), declared on the model; and, on PostgreSQL, its "same SIS id pattern"
groups (user_dup_sis_idx): an index on the part of the SIS id that
settings.DUPLICATE_SIS_ID_PATTERN picks out, built with the pattern set when this migration
runs. The finder's query names the pattern the same way,
so PostgreSQL uses the index while the setting stays as it was; with another pattern the
finder still answers right, reading the whole table (rebuild the index with
`manage.py migrate users 0021 && manage.py migrate users`)."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

SIS_INDEX = "user_dup_sis_idx"


def sis_index_sql(pattern: str) -> str:
    """The index, with the pattern as a literal: an index cannot take a parameter."""
    literal = "'" + pattern.replace("'", "''") + "'"
    return (
        f"CREATE INDEX {SIS_INDEX} ON users_user ((substring(sis_user_id from {literal}))) "
        "INCLUDE (sis_user_id, organisation_id, id) "
        "WHERE sis_user_id IS NOT NULL AND status <> 'deleted' AND anonymised_at IS NULL"
    )


def create_sis_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sis_index_sql(settings.DUPLICATE_SIS_ID_PATTERN), params=None)


def drop_sis_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SIS_INDEX}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('users', '0021_erasure_roles'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='user',
            name='user_email_lower_idx',
        ),
        migrations.AddIndex(
            model_name='user',
            index=models.Index(django.db.models.functions.text.Lower('email'), condition=models.Q(('email', ''), _negated=True), include=('email', 'organisation', 'id', 'status', 'anonymised_at'), name='user_email_lower_idx'),
        ),
        migrations.AddIndex(
            model_name='user',
            index=models.Index(condition=models.Q(models.Q(('last_name', ''), _negated=True), models.Q(('status', 'deleted'), _negated=True), ('anonymised_at__isnull', True)), fields=['last_name', 'first_name', 'id'], include=('organisation',), name='user_dup_name_idx'),
        ),
        migrations.RunPython(create_sis_index, drop_sis_index),
    ]
