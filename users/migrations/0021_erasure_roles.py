"""Who sees erasure receipts and retention policies: training admins see and set the
policies and read every receipt; power users read their organisation's policy and receipts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Training admin": [
        "view_erasurereceipt",
        "view_retentionpolicy",
        "add_retentionpolicy",
        "change_retentionpolicy",
    ],
    "Manager": ["view_erasurereceipt", "view_retentionpolicy"],
    "Power user": ["view_erasurereceipt", "view_retentionpolicy"],
}


def assign(apps, schema_editor=None):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="users", codename__in=codenames)
            )


def create_and_assign(apps, schema_editor):
    app_config = apps.get_app_config("users")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    assign(apps)


class Migration(migrations.Migration):
    dependencies = [("users", "0020_erasure_receipts_and_retention")]

    operations = [migrations.RunPython(create_and_assign, migrations.RunPython.noop)]
