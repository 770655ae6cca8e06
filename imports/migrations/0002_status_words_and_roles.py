"""Default status words of a previous LMS, and who may import.

Seed 002: learners "Suspended or on Long Term Leave in your previous LMS will be set as
Inactive". "Suspended" is built in; the others are configurable words.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DEFAULT_WORDS = [
    ("Long Term Leave", "longtermleave"),
    ("Leave", "leave"),
    ("Archived", "archived"),
]
GRANTS = {
    "Training admin": [
        "import_data",
        "view_importjob",
        "view_statusword",
        "add_statusword",
        "change_statusword",
        "delete_statusword",
    ],
    "Manager": ["view_importjob", "view_statusword"],
    "Power user": ["import_data", "view_importjob", "view_statusword"],
}


def add_words(apps, schema_editor):
    StatusWord = apps.get_model("imports", "StatusWord")
    for word, normalised in DEFAULT_WORDS:
        StatusWord.objects.get_or_create(
            applies_to="users", normalised=normalised, defaults={"word": word, "means": "inactive"}
        )


def grant(apps, schema_editor):
    app_config = apps.get_app_config("imports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    assign(apps)


def assign(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="imports", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("users", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(add_words, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
