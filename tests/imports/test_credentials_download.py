"""The import's temporary-passwords file goes through the exports' neutralising writer."""

import csv
import io

import pytest
from django.urls import reverse

from imports.models import ImportJob, ImportState
from users import services

from .test_admin_pages import admin_client_for, confirm, upload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_import_passwords_file_neutralises_formulas(
    admin_client_for,  # noqa: F811
    admin_user,
    make_user,
    django_capture_on_commit_callbacks,
):
    formula = "=cmd|' /C calc'!A0"
    person = make_user(
        username="@calc", email="", first_name=formula, last_name="", sis_user_id="F-1"
    )
    services.user_deactivate(person, by=admin_user, reason="Left")
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "user_id,login_id,status\nF-1,@calc,active\n", name="back.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.failure

    download = client.get(reverse("admin:imports_importjob_passwords", args=[job.pk]))

    assert "no-store" in download["Cache-Control"]
    (row,) = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert row["username"] == "'@calc"
    assert row["name"] == "'" + formula
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
