"""The change log's order on the enrolment history tables (see users 0009)."""

import importlib

from django.db import migrations

users_0009 = importlib.import_module("users.migrations.0009_history_order_indexes")

TABLES = (
    "enrollments_historicalenrollment",
    "enrollments_historicalcertificate",
    "enrollments_historicalcourse",
    "enrollments_historicalsection",
)
CREATE, DROP = users_0009.order_indexes(TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("enrollments", "0003_list_order_indexes"),
        ("users", "0009_history_order_indexes"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
