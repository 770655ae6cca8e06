"""Who may see and set review policies: training admins set them; managers and power users
read them (power users their own organisation's, by scoping)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Training admin": ["view_reviewpolicy", "add_reviewpolicy", "change_reviewpolicy"],
    "Manager": ["view_reviewpolicy"],
    "Power user": ["view_reviewpolicy"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("users")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="users", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("users", "0016_dormant_account_reviews")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
