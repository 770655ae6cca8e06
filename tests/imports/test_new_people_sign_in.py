"""New people from a file are not stranded: the preview says when they have no
organisation, and the import gives each a way in (a link by email, or a temporary password
downloaded once), as reactivation does; from the admin and from the command line."""

import csv
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from imports.models import ImportJob, ImportState
from users.models import User

from .helpers import csv_bytes, history_of
from .test_admin_pages import admin_client_for, job_url, upload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NEWCOMERS = (
    "user_id,login_id,first_name,last_name,email,status\n"
    "N-1,nina,Nina,New,nina@example.com,active\n"
    "N-2,noel,Noel,Nomail,,active\n"
)


def preview(client, capture, **extra):
    with capture(execute=True):
        upload(client, NEWCOMERS, **extra)
    return ImportJob.objects.get()


def confirm_with(client, capture, job, sign_in):
    data = {"previewed": job.checked_at.isoformat()}
    if sign_in is not None:
        data["sign_in"] = sign_in
    with capture(execute=True):
        client.post(reverse("admin:imports_importjob_confirm", args=[job.pk]), data)
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.failure
    return job


def downloaded_passwords(client, job) -> dict[str, str]:
    response = client.get(reverse("admin:imports_importjob_passwords", args=[job.pk]))
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return {row["username"]: row["temporary_password"] for row in rows}


def test_the_preview_warns_about_new_people_without_organisation(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks)
    page = client.get(job_url(job)).content.decode()
    assert "2 new people have no organisation" in page
    assert "No organisation" in page
    assert 'name="sign_in" value="link" checked' in page
    assert 'name="sign_in" value="password"' in page
    assert "1 of them has no email and can only get a temporary password" in page

    ImportJob.objects.all().delete()
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    assert "have no organisation" not in client.get(job_url(job)).content.decode()


def test_the_sign_in_question_is_asked_only_while_the_preview_can_be_confirmed(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    """The preview asks how the new people sign in beside its Confirm button; once the
    import is done, or when errors stop it, no note still says "when you confirm"."""
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    page = client.get(job_url(job)).content.decode()
    assert "How do the 2 new active people sign in?" in page
    assert "when you confirm" not in page
    job = confirm_with(client, django_capture_on_commit_callbacks, job, "link")
    done = client.get(job_url(job)).content.decode()
    assert "when you confirm" not in done and "sign in?" not in done

    ImportJob.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, NEWCOMERS + "N-3,nell,Nell,New,not-an-email,active\n")
    stopped = client.get(job_url(ImportJob.objects.get())).content.decode()
    assert "stop" in stopped and "when you confirm" not in stopped


def test_links_by_email_and_a_temporary_password_for_who_has_no_email(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    job = confirm_with(client, django_capture_on_commit_callbacks, job, "link")

    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    assert "account has been made for you" in message.body
    link = re.search(r"https?://\S+/reset/\S+", message.body).group(0)
    nina = User.objects.get(username="nina")
    assert not nina.has_usable_password() and not nina.must_change_password
    assert job.applied["reset links sent"] == 1

    page = client.get(job_url(job)).content.decode()
    assert "1 person got a temporary password" in page
    passwords = downloaded_passwords(client, job)
    assert list(passwords) == ["noel"]
    noel = User.objects.get(username="noel")
    assert noel.check_password(passwords["noel"]) and noel.must_change_password
    assert downloaded_passwords(client, job) == {}  # once only
    # One history row each, as for any new person: the way in came with the account.
    assert [row.history_type for row in history_of(noel)] == ["+"]
    assert history_of(noel)[0].must_change_password

    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    assert "password" in response.content.decode().lower()


def test_temporary_passwords_for_everyone(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    job = confirm_with(client, django_capture_on_commit_callbacks, job, "password")

    assert mail.outbox == []
    passwords = downloaded_passwords(client, job)
    assert set(passwords) == {"nina", "noel"}
    for username, password in passwords.items():
        person = User.objects.get(username=username)
        assert person.check_password(password) and person.must_change_password


def test_without_a_choice_nobody_gets_anything_yet(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    job = confirm_with(client, django_capture_on_commit_callbacks, job, None)
    assert mail.outbox == [] and job.credentials == []
    assert not User.objects.get(username="nina").has_usable_password()


def test_an_unknown_choice_is_refused(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    job = preview(client, django_capture_on_commit_callbacks, organisation=organisation.pk)
    data = {"previewed": job.checked_at.isoformat(), "sign_in": "carrier-pigeon"}
    response = client.post(
        reverse("admin:imports_importjob_confirm", args=[job.pk]), data, follow=True
    )
    assert "Choose how the new people sign in." in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED and not User.objects.filter(username="nina").exists()


def test_the_command_line_makes_temporary_passwords(admin_user, organisation, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes(
            ["user_id", "login_id", "first_name", "last_name", "email", "status"],
            ["N-1", "nina", "Nina", "New", "nina@example.com", "active"],
        )
    )
    out = io.StringIO()
    call_command(
        "import_data",
        "users",
        str(path),
        "--as",
        admin_user.username,
        "--sign-in",
        "password",
        stdout=out,
        stderr=io.StringIO(),
    )
    printed = re.search(r"Temporary password for nina: (\S+)", out.getvalue())
    assert printed, out.getvalue()
    assert "1 new active person needs a way to sign in" in out.getvalue()
    assert "have no organisation" not in out.getvalue() or "1 new person has" in out.getvalue()
    nina = User.objects.get(username="nina")
    assert nina.check_password(printed.group(1)) and nina.must_change_password
    assert mail.outbox == []
