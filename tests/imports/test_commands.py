"""`manage.py import_data` and `manage.py export_data`: the same code as the admin's upload."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from imports.models import ImportJob
from users import services
from users.models import User, UserStatus

from .helpers import USERS_CANVAS, csv_bytes, history_of, json_bytes, world

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def people(tmp_path, make_user):
    learner = make_user(sis_user_id="C-1")
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes(
            USERS_CANVAS,
            ["C-1", learner.username, "", "", "", "Long Term Leave"],
            ["C-2", "cmdnew", "Com", "Mand", "cmd@example.com", "active"],
        )
    )
    return path


def test_dry_run_prints_counts_and_changes_nothing(admin_user, people):
    before = world()

    out, _ = run("import_data", "users", str(people), "--dry-run", "--as", admin_user.username)

    assert "1 new" in out
    assert "1 status change" in out
    assert "0 error" in out
    assert "Dry run: nothing was changed" in out
    assert "cmdnew" in out
    assert world() == before
    assert ImportJob.objects.get().state == "checked"


def test_a_real_run_imports_with_history(admin_user, people):
    out, _ = run("import_data", "users", str(people), "--as", admin_user.username)

    assert "Imported:" in out
    new = User.objects.get(username="cmdnew")
    assert new.email == "cmd@example.com"
    leaving = User.objects.get(sis_user_id="C-1")
    assert leaving.status == UserStatus.INACTIVE
    for person in (new, leaving):
        last = history_of(person)[-1]
        assert (last.history_user_id, last.history_change_reason) == (
            admin_user.pk,
            "Import people.csv",
        )
    assert ImportJob.objects.get().state == "done"


def test_the_only_training_admin_is_the_importer_by_default(admin_user, people):
    run("import_data", "users", str(people))
    assert history_of(User.objects.get(username="cmdnew"))[0].history_user_id == admin_user.pk


def test_a_real_run_prints_temporary_passwords_once(admin_user, make_user, tmp_path):
    learner = make_user(email="", sis_user_id="C-3")
    services.user_deactivate(learner, by=admin_user, reason="Test set-up")
    path = tmp_path / "back.csv"
    path.write_bytes(csv_bytes(USERS_CANVAS, ["C-3", learner.username, "", "", "", "active"]))

    out, _ = run("import_data", "users", str(path), "--as", admin_user.username)

    assert f"Temporary password for {learner.username}:" in out
    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    assert ImportJob.objects.get().credentials == []


def test_errors_end_with_a_command_error_and_change_nothing(admin_user, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            USERS_CANVAS,
            ["C-4", "fine", "Fi", "Ne", "fine@example.com", "active"],
            ["C-5", "wrong", "Wr", "Ong", "not-an-email", "active"],
        )
    )
    before = world()

    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_data", "users", str(path), "--as", admin_user.username)

    assert world() == before


def test_a_file_level_error_ends_with_a_command_error(admin_user, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    before = world()
    with pytest.raises(CommandError):
        run("import_data", "users", str(path), "--as", admin_user.username)
    assert world() == before


def test_a_missing_file_or_unknown_person_is_a_command_error(admin_user, people, tmp_path):
    with pytest.raises(CommandError, match="no file"):
        run("import_data", "users", str(tmp_path / "nope.csv"), "--as", admin_user.username)
    with pytest.raises(CommandError, match="nobody"):
        run("import_data", "users", str(people), "--as", "nobody")


def test_a_refused_upload_is_a_command_error(admin_user, people, settings):
    settings.IMPORT_MAX_BYTES = 10
    before = world()
    with pytest.raises(CommandError, match="Split it"):
        run("import_data", "users", str(people), "--as", admin_user.username)
    assert world() == before


def test_a_power_user_imports_into_their_organisation(power_user, partner, tmp_path, make_user):
    make_user(sis_user_id="C-6")  # in Acme
    path = tmp_path / "partner.csv"
    path.write_bytes(csv_bytes(USERS_CANVAS, ["C-6", "hijack", "Hi", "Jack", "", "active"]))
    before = world()
    with pytest.raises(CommandError):
        run("import_data", "users", str(path), "--as", power_user.username)
    assert world() == before

    path.write_bytes(csv_bytes(USERS_CANVAS, ["P-1", "partnerling", "Part", "Ner", "", "active"]))
    run("import_data", "users", str(path), "--as", power_user.username)
    assert User.objects.get(username="partnerling").organisation == partner


def test_format_option_reads_json_from_any_file_name(admin_user, tmp_path):
    path = tmp_path / "people.dat"
    path.write_bytes(json_bytes([{"username": "fromjson", "first_name": "Jay", "email": ""}]))
    run("import_data", "users", str(path), "--format", "json", "--as", admin_user.username)
    assert User.objects.get(username="fromjson").first_name == "Jay"


def test_organisation_option(admin_user, partner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(USERS_CANVAS, ["O-1", "orgperson", "Or", "G", "", "active"]))
    run("import_data", "users", str(path), "--organisation", "partner", "--as", "admin")
    assert User.objects.get(username="orgperson").organisation == partner
    with pytest.raises(CommandError, match="No organisation"):
        run("import_data", "users", str(path), "--organisation", "nowhere", "--as", "admin")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_data_then_import_data_changes_nothing(fmt, admin_user, make_user, tmp_path):
    make_user(sis_user_id="X-1", first_name="=1+1")
    inactive = make_user()
    services.user_deactivate(inactive, by=admin_user, reason="Test set-up")
    path = tmp_path / f"everyone.{fmt}"
    run("export_data", "users", "--format", fmt, "--output", str(path))
    assert path.stat().st_size > 0
    before = world()

    out, _ = run("import_data", "users", str(path), "--as", admin_user.username)

    assert f"{User.objects.count()} unchanged" in out
    assert "Imported: nothing to change" in out
    assert world() == before
