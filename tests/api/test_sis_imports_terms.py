"""Batch mode for a term through the API: batch_mode_term_id takes the term's id or
sis_term_id:X; a term the account does not have is Canvas's 400 and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollments import services as enrollment_services
from imports.models import ImportJob

USERS = b"user_id,login_id,first_name,last_name,status\nU-1,ann,Ann,Archer,active\n"


@pytest.fixture
def url(organisation):
    return f"/api/v1/accounts/{organisation.pk}/sis_imports"


@pytest.fixture
def fall(organisation, admin_user):
    return enrollment_services.term_create(
        name="Fall 2025", sis_term_id="FALL25", organisation=organisation, by=admin_user, reason="t"
    )


def upload(api, url, **params):
    attachment = SimpleUploadedFile("users.csv", USERS)
    return api.post(url, {"attachment": attachment, **params}, format="multipart")


@pytest.mark.parametrize("term", ["sis_term_id:NOPE", "987654321", "sis_course_id:FALL25"])
def test_an_unknown_term_is_a_canvas_400_and_nothing_is_stored(api, url, fall, term):
    response = upload(api, url, batch_mode="true", batch_mode_term_id=term)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"].startswith(f"batch_mode_term_id: no term “{term}” in this account.")
    assert not ImportJob.objects.exists()


def test_the_term_by_id_or_sis_id_is_answered_as_its_id(
    api, url, fall, django_capture_on_commit_callbacks
):
    for value in (str(fall.pk), "sis_term_id:FALL25"):
        with django_capture_on_commit_callbacks(execute=False):
            response = upload(api, url, batch_mode="true", batch_mode_term_id=value)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["batch_mode"], body["batch_mode_term_id"]) == (True, str(fall.pk))
