"""The three roles as groups with permissions.

Permissions are normally created after all migrations run; this migration creates them
first so that the groups are complete on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRACKED = {
    "users": ["organisation", "user", "segment", "segmentmembership"],
    "enrollments": ["course", "section", "enrollment", "certificate"],
}

ROLES = {
    "Training admin": {
        app: {model: ["view", "add", "change", "delete"] for model in models}
        for app, models in TRACKED.items()
    },
    "Manager": {app: {model: ["view"] for model in models} for app, models in TRACKED.items()},
    "Power user": {
        "users": {
            "organisation": ["view"],
            "user": ["view", "add", "change"],
            "segment": ["view", "add", "change"],
            "segmentmembership": ["view", "add", "delete"],
        },
        "enrollments": {
            "course": ["view"],
            "section": ["view"],
            "enrollment": ["view", "add", "change"],
            "certificate": ["view"],
        },
    },
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    assign_roles(apps)


def assign_roles(apps):
    """Create the groups and give them their permissions (which must already exist)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{action}_{model}"
            for app, models in grants.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = Permission.objects.filter(
            content_type__app_label__in=list(grants), codename__in=codenames
        )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        ("enrollments", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
