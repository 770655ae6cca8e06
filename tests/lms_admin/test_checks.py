"""`manage.py migrate` and `check` print no warning on the embedded SQLite database (the
covering index's INCLUDE columns, models.W040, are a PostgreSQL optimisation)."""

from io import StringIO

import pytest
from django.core.checks import Tags, run_checks
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_model_checks_give_no_warning_on_this_database():
    # migrate runs these, against the default database, before migrating.
    checks = run_checks(tags=[Tags.models], databases=["default"])
    assert [message.id for message in checks if not message.is_silenced()] == []


def test_check_with_the_database_prints_no_w040():
    out, err = StringIO(), StringIO()
    call_command("check", "--tag", "models", "--database", "default", stdout=out, stderr=err)
    assert "W040" not in out.getvalue() + err.getvalue()
