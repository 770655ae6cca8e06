"""The Import and export pages, through the admin as people use them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from imports.models import ImportJob, ImportState
from reports.models import ExportRecord
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:imports_importjob_upload")
PEOPLE = (
    "user_id,login_id,first_name,last_name,email,status\n"
    "S1,amy,Amy,Adams,amy@example.com,active\n"
    "S2,bob,Bob,Brown,,Long Term Leave\n"
)


def upload(client, content, name="people.csv", kind="users", **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content.encode()), "encoding": "utf-8"}
    data.update(extra)
    return client.post(UPLOAD, data)


def job_url(job):
    return reverse("admin:imports_importjob_job", args=[job.pk])


def confirm(client, job):
    job.refresh_from_db()
    return client.post(
        reverse("admin:imports_importjob_confirm", args=[job.pk]),
        {"previewed": job.checked_at.isoformat()},
    )


@pytest.fixture
def admin_client_for(client):
    def sign_in(person):
        client.force_login(person)
        return client

    return sign_in


def test_upload_preview_then_confirm(
    admin_client_for, admin_user, organisation, django_capture_on_commit_callbacks
):
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, PEOPLE, organisation=organisation.pk)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    page = client.get(job_url(job)).content.decode()
    assert "Preview ready" in page and "Canvas SIS users.csv" in page
    assert "New (2)" in page
    # Rows are numbered as a spreadsheet shows them: the headings are row 1.
    assert list(job.rows.values_list("line", flat=True)) == [2, 3]
    assert not User.objects.filter(username__in=["amy", "bob"]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.failure
    bob = User.objects.get(username="bob")
    assert bob.status == UserStatus.INACTIVE and bob.organisation == organisation
    record = bob.history.get()
    assert record.history_user == admin_user
    assert record.history_change_reason == "Import people.csv"
    assert "Imported" in client.get(job_url(job)).content.decode()


def test_an_out_of_date_preview_is_not_confirmed(
    admin_client_for, admin_user, django_capture_on_commit_callbacks
):
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, PEOPLE)
    job = ImportJob.objects.get()
    response = client.post(
        reverse("admin:imports_importjob_confirm", args=[job.pk]), {"previewed": "stale"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED
    assert not User.objects.filter(username="amy").exists()


def test_a_file_with_errors_cannot_be_confirmed(
    admin_client_for, admin_user, django_capture_on_commit_callbacks
):
    client = admin_client_for(admin_user)
    bad = PEOPLE + "S3,cat,Cat,Costa,not-an-email,Sabbatical\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, bad)
    job = ImportJob.objects.get()
    page = client.get(job_url(job)).content.decode()
    assert "not a valid email address" in page
    assert "Unknown status “Sabbatical”" in page
    assert 'name="previewed"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED
    assert not User.objects.filter(username__in=["amy", "bob", "cat"]).exists()


def test_bad_files_get_a_message_on_the_form(admin_client_for, admin_user, settings):
    client = admin_client_for(admin_user)
    response = upload(client, "whatever", name="report.pdf")
    assert "not a CSV, XLSX or JSON file" in response.content.decode()
    settings.IMPORT_MAX_BYTES = 10
    response = upload(client, PEOPLE)
    assert "can be imported" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_managers_see_imports_but_cannot_run_them(
    admin_client_for, admin_user, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client_for(admin_user), PEOPLE)
    job = ImportJob.objects.get()
    client = admin_client_for(manager)
    assert client.get(reverse("admin:imports_importjob_changelist")).status_code == 200
    assert client.get(job_url(job)).status_code == 200
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, PEOPLE).status_code == 403
    assert confirm(client, job).status_code == 403
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED


def test_power_users_import_into_their_organisation_only(
    admin_client_for,
    admin_user,
    power_user,
    partner,
    organisation,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client_for(admin_user), PEOPLE)
    admins_job = ImportJob.objects.get()

    client = admin_client_for(power_user)
    form = client.get(UPLOAD).content.decode()
    assert partner.name in form and organisation.name not in form
    assert client.get(job_url(admins_job)).status_code == 404
    content = (
        "username,first_name,last_name,email,organisation\n"
        "pat,Pat,Partner,pat@partner.example,\n"
        f"acme1,Ann,Acme,ann@acme.example,{organisation.sis_account_id}\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content, name="partners.csv", organisation=partner.pk)
    job = ImportJob.objects.exclude(pk=admins_job.pk).get()
    page = client.get(job_url(job)).content.decode()
    assert "is not your organisation" in page
    assert job.counts["new"] == 1 and job.counts["error"] == 1
    listing = client.get(reverse("admin:imports_importjob_changelist")).content.decode()
    assert "partners.csv" in listing and "people.csv" not in listing


@pytest.mark.django_db(transaction=True)
def test_large_files_are_checked_and_applied_by_a_worker(
    admin_client_for, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    rows = "".join(f"W{n},worker{n},Wo,Rker{n},w{n}@example.com,active\n" for n in range(30))
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "user_id,login_id,first_name,last_name,email,status\n" + rows)
    job = ImportJob.objects.get()
    assert job.state == ImportState.QUEUED
    progress = client.get(reverse("admin:imports_importjob_progress", args=[job.pk])).json()
    assert progress["running"] and progress["state"] == "queued"
    assert "<progress" in client.get(job_url(job)).content.decode()

    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED and job.counts["new"] == 30

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED and job.confirmed_at
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.failure
    assert User.objects.filter(username__startswith="worker").count() == 30
    progress = client.get(reverse("admin:imports_importjob_progress", args=[job.pk])).json()
    assert progress == {**progress, "running": False, "percent": 100, "state": "done"}


def test_temporary_passwords_are_downloadable_once(
    admin_client_for, admin_user, make_user, django_capture_on_commit_callbacks
):
    person = make_user(username="noemail", email="", sis_user_id="NE1")
    services.user_deactivate(person, by=admin_user, reason="Left")
    client = admin_client_for(admin_user)
    content = "user_id,login_id,status\nNE1,noemail,active\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content, name="back.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.failure
    url = reverse("admin:imports_importjob_passwords", args=[job.pk])
    assert url in client.get(job_url(job)).content.decode()
    first = client.get(url)
    body = first.content.decode()
    assert first.status_code == 200 and "noemail" in body
    password = re.search(r"noemail,[^,]*,([^,]+),", body).group(1)
    person.refresh_from_db()
    assert person.check_password(password) and person.must_change_password
    second = client.get(url)
    assert second.status_code == 302
    assert ImportJob.objects.get().credentials == []


def test_preview_page_queries_do_not_grow_with_rows(
    admin_client_for, admin_user, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = admin_client_for(admin_user)
    header = "user_id,login_id,first_name,last_name,email,status\n"
    for count in (3, 60):
        rows = "".join(
            f"Q{count}-{n},q{count}_{n},Q,R,q{count}.{n}@ex.com,active\n" for n in range(count)
        )
        with django_capture_on_commit_callbacks(execute=True):
            upload(client, header + rows, name=f"q{count}.csv")
    for job in ImportJob.objects.all():
        with django_assert_max_num_queries(12):
            assert client.get(job_url(job)).status_code == 200


def test_export_buttons_follow_the_list_filters_and_are_recorded(
    admin_client_for, admin_user, make_user, power_user, partner
):
    gone = make_user(username="gone")
    services.user_deactivate(gone, by=admin_user, reason="Left")
    make_user(username="here")
    client = admin_client_for(admin_user)
    page = client.get(reverse("admin:users_user_changelist") + "?status=inactive")
    assert "Export CSV" in page.content.decode() and "Import…" in page.content.decode()
    url = reverse("admin:imports_export", args=["users", "csv"]) + "?status=inactive"
    response = client.get(url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "gone" in body and "here" not in body
    assert body.splitlines()[0].startswith("username,sis_user_id,first_name")
    assert ExportRecord.objects.filter(user=admin_user, report="users-data", rows=1).exists()

    partner_person = services.user_create(
        username="partnered", organisation=partner, by=admin_user, reason="Test"
    )
    assert partner_person
    client = admin_client_for(power_user)
    response = client.get(reverse("admin:imports_export", args=["users", "json"]) + "?status=all")
    body = b"".join(response.streaming_content).decode()
    assert "partnered" in body and "gone" not in body and "here" not in body


def test_deletion_candidates_can_be_reviewed_on_the_users_page(
    admin_client_for, admin_user, make_user, django_capture_on_commit_callbacks
):
    make_user(username="stale1", sis_user_id="ST1")
    make_user(username="keeper", sis_user_id="ST2")
    client = admin_client_for(admin_user)
    content = "username,To be deleted\nstale1,yes\nkeeper,no\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content, name="audit.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    stale = User.objects.get(username="stale1")
    assert stale.marked_for_deletion_at and stale.marked_for_deletion_by == admin_user
    assert stale.status == UserStatus.ACTIVE  # an import never deletes anyone
    listing = client.get(reverse("admin:users_user_changelist") + "?to_be_deleted=yes")
    html = listing.content.decode()
    assert "stale1" in html and "keeper" not in html and "to be deleted" in html

    response = client.post(
        reverse("admin:users_user_changelist") + "?to_be_deleted=yes",
        {"action": "clear_deletion_mark", "_selected_action": [stale.pk], "confirm": "yes"},
    )
    assert response.status_code == 302
    stale.refresh_from_db()
    assert stale.marked_for_deletion_at is None
    assert stale.history.first().history_change_reason == "Deletion mark taken off"


def test_status_words_are_kept_by_training_admins(admin_client_for, admin_user, manager):
    client = admin_client_for(admin_user)
    add = reverse("admin:imports_statusword_add")
    response = client.post(add, {"word": "Sabbatical", "applies_to": "users", "means": "inactive"})
    assert response.status_code == 302
    response = client.post(add, {"word": "SUSPENDED", "applies_to": "users", "means": "active"})
    assert "built-in word" in response.content.decode()
    response = client.post(add, {"word": "Finished", "applies_to": "users", "means": "completed"})
    assert "cannot be" in response.content.decode()
    assert admin_client_for(manager).post(add, {"word": "x", "means": "active"}).status_code == 403


def test_passwords_of_an_import_need_its_owner(admin_client_for, admin_user, groups):
    other = services.user_create(
        username="other_admin",
        password=PASSWORD,
        is_staff=True,
        groups=["Training admin"],
        by=admin_user,
        reason="Test",
    )
    job = ImportJob.objects.create(
        kind="users",
        file_name="x.csv",
        format="csv",
        created_by=admin_user,
        state=ImportState.DONE,
        credentials=[{"username": "a"}],
    )
    client = admin_client_for(other)
    assert (
        client.get(reverse("admin:imports_importjob_passwords", args=[job.pk])).status_code == 403
    )


def test_the_upload_page_offers_empty_templates(admin_client_for, admin_user):
    client = admin_client_for(admin_user)
    page = client.get(UPLOAD).content.decode()
    url = reverse("admin:imports_importjob_template", args=["users", 0])
    assert url in page
    response = client.get(url)
    assert (
        response.content.decode().strip()
        == "user_id,login_id,first_name,last_name,full_name,email,status,to_be_deleted"
    )


def test_a_power_users_file_cannot_change_an_account_with_admin_rights(
    admin_client_for, admin_user, power_user, partner, django_capture_on_commit_callbacks
):
    services.user_create(
        username="partner_admin",
        sis_user_id="PA-1",
        organisation=partner,
        is_staff=True,
        groups=["Power user"],
        by=admin_user,
        reason="Test set-up",
    )
    client = admin_client_for(power_user)
    content = "user_id,login_id,first_name,status\nPA-1,partner_admin,Changed,inactive\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content, name="admins.csv", organisation=partner.pk)
    job = ImportJob.objects.get()
    assert job.counts["error"] == 1
    assert "only a training admin" in client.get(job_url(job)).content.decode()
    # Confirming anyway (a forged POST) applies nothing: the row stays refused.
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED
    partner_admin = User.objects.get(username="partner_admin")
    assert (partner_admin.first_name, partner_admin.status) == ("", UserStatus.ACTIVE)
    assert partner_admin.history.count() == 1
