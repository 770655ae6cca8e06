"""Training admins may read the export log (who exported what, when)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label="reports", codename="view_exportrecord"
    ).first()
    group = Group.objects.filter(name="Training admin").first()
    if permission and group:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
