"""SIS imports refuse bad uploads clearly, storing nothing; scoping and managers."""

import pytest

from imports.models import ImportJob
from tests.imports.helpers import zipped


@pytest.fixture
def url(organisation):
    return f"/api/v1/accounts/{organisation.pk}/sis_imports"


def upload(api, url, content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post(url, {"attachment": SimpleUploadedFile(name, content)}, format="multipart")


def test_a_zip_with_an_unknown_file_is_refused_and_nothing_stored(api, url):
    response = upload(
        api, url, zipped(**{"users.csv": "user_id,login_id,status\n", "notes.txt": "x"}), "a.zip"
    )
    assert response.status_code == 400
    assert "Unknown file “notes.txt”" in response.json()["errors"][0]["message"]
    assert not ImportJob.objects.exists()


def test_an_empty_attachment_is_refused(api, url):
    response = upload(api, url, b"", "users.csv")
    assert response.status_code == 400
    assert "empty" in response.json()["errors"][0]["message"]
    assert not ImportJob.objects.exists()


def test_a_huge_upload_is_refused_from_its_content_length(api, url, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = api.generic("POST", url, b"x" * 200_000, content_type="text/csv")
    assert response.status_code == 413
    assert "larger than" in response.json()["errors"][0]["message"]
    assert not ImportJob.objects.exists()


def test_the_raw_body_form_is_accepted(api, url, django_capture_on_commit_callbacks):
    body = b"user_id,login_id,first_name,last_name,status\nU-9,zed,Zed,Zane,active\n"
    with django_capture_on_commit_callbacks(execute=False):
        response = api.generic("POST", f"{url}?extension=csv", body, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["workflow_state"] == "created"
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert [part.kind for part in job.parts.all()] == ["users"]


def test_abort_of_a_finished_import_is_a_clear_error(api, url, organisation, admin_user):
    job = ImportJob.objects.create(
        kind="sis",
        file_name="u.csv",
        format="csv",
        organisation=organisation,
        created_by=admin_user,
        state="done",
    )
    response = api.put(f"{url}/{job.pk}/abort")
    assert response.status_code == 400
    assert "has finished" in response.json()["errors"][0]["message"]


def test_a_managers_token_lists_imports_but_never_starts_one(manager_api, url):
    assert manager_api.get(url).status_code == 200
    response = upload(manager_api, url, b"user_id,login_id,status\nU,u,active\n", "users.csv")
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_a_power_user_sees_no_other_organisations_imports(power_api, url, organisation, admin_user):
    job = ImportJob.objects.create(
        kind="sis",
        file_name="u.csv",
        format="csv",
        organisation=organisation,
        created_by=admin_user,
        state="done",
    )
    assert power_api.get(url).status_code == 404
    assert power_api.get(f"{url}/{job.pk}").status_code == 404


def test_a_file_the_person_may_not_import_is_canvas_403_and_nothing_stored(power_api, partner):
    # Power users import people and enrolments, never terms or courses.
    url = f"/api/v1/accounts/{partner.pk}/sis_imports"
    for name, content in (
        ("terms.csv", b"term_id,name,status\nT1,Term one,active\n"),
        ("courses.csv", b"course_id,short_name,long_name,status\nC-1,C1,Course,active\n"),
    ):
        response = upload(power_api, url, content, name)
        assert response.status_code == 403, response.content
        assert response.json()["errors"] == [
            {"message": "user not authorized to perform that action"}
        ]
    assert not ImportJob.objects.exists()
