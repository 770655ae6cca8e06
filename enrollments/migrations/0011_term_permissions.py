"""Who may see and change terms: training admins change them; managers and power users read
them (power users their own organisation's and the shared ones, by scoping)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Training admin": ["view_enrollmentterm", "add_enrollmentterm", "change_enrollmentterm"],
    "Manager": ["view_enrollmentterm"],
    "Power user": ["view_enrollmentterm"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("enrollments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="enrollments", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0010_enrolment_terms")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
