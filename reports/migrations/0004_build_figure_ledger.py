"""Build the figures ledger for the data already there; the services keep it from now on."""

from django.db import migrations


def build(apps, schema_editor):
    from reports.ledger_rebuild import rebuild_ledger

    rebuild_ledger()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_figure_ledger"),
        ("users", "0006_fewer_user_indexes"),
        ("enrollments", "0002_initial"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
