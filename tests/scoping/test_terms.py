"""Batch mode for a term through the API: a power user naming another organisation's term,
by its id or its SIS term ID, gets exactly the answer a term that does not exist gets, and
nothing is stored; their own organisation's term is taken."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from imports.models import ImportJob
from tests.scoping.test_matrix import leaks
from users.tokens import token_create

pytestmark = pytest.mark.django_db

USERS = b"user_id,login_id,first_name,last_name,status\nSIS-AUR-1,auroralearner,A,A,active\n"


def test_another_organisations_term_reads_as_no_term(world, django_capture_on_commit_callbacks):
    a, b = world
    api = APIClient()
    _, secret = token_create(a.power, by=a.power, reason="Test set-up")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/accounts/{a.organisation.pk}/sis_imports"
    jobs_before = ImportJob.objects.count()

    def post(term: str):
        attachment = SimpleUploadedFile("users.csv", USERS)
        with django_capture_on_commit_callbacks(execute=False):
            return api.post(
                url,
                {"attachment": attachment, "batch_mode": "true", "batch_mode_term_id": term},
                format="multipart",
            )

    for theirs, missing in (
        (str(b.term.pk), "987654321"),
        (f"sis_term_id:{b.term.sis_term_id}", "sis_term_id:NOPE-987654321"),
    ):
        found, nothing = post(theirs), post(missing)
        assert (found.status_code, nothing.status_code) == (400, 400)
        # The answer repeats what was typed, and nothing more.
        shown = found.content.replace(theirs.encode(), b"<ID>")
        assert shown == nothing.content.replace(missing.encode(), b"<ID>")
        assert not leaks(shown)
    assert ImportJob.objects.count() == jobs_before
    own = post(f"sis_term_id:{a.term.sis_term_id}")
    assert own.status_code == 200, own.content
    assert own.json()["batch_mode_term_id"] == str(a.term.pk)
