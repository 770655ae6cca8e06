"""What an import's state reads: a preview that found problems is "Failed", never
"Preview ready"; and the words around file types are English ("an XLSX file")."""

import pytest
from django.urls import reverse

from imports.models import ImportJob
from imports.reading import FileProblem, read_table

from .test_admin_pages import admin_client_for, job_url, upload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:imports_importjob_changelist")


@pytest.mark.parametrize(
    "content",
    [
        "user_id,login_id,status\nU-1,new person,active\n",  # a row error
        "first_name\nAda\n",  # a file-level error: no username or SIS id column
    ],
    ids=["row-error", "file-error"],
)
def test_a_preview_with_problems_reads_failed(
    content,
    admin_client_for,  # noqa: F811
    admin_user,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content)
    job = ImportJob.objects.get()
    assert job.errors

    page = client.get(job_url(job)).content.decode()
    listing = client.get(CHANGELIST).content.decode()
    progress = client.get(reverse("admin:imports_importjob_progress", args=[job.pk])).json()

    for text in (page, progress["state_label"]):
        assert "Failed" in text
        assert "Preview ready" not in text
    assert '<td class="field-state_label">Failed' in listing


def test_a_good_preview_reads_preview_ready(
    admin_client_for,  # noqa: F811
    admin_user,
    organisation,
    django_capture_on_commit_callbacks,
):
    client = admin_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            client,
            "user_id,login_id,first_name,last_name,status\nU-1,ada,Ada,L,active\n",
            organisation=organisation.pk,
        )
    job = ImportJob.objects.get()
    assert not job.errors
    assert "Preview ready" in client.get(job_url(job)).content.decode()


@pytest.mark.parametrize(
    ("content", "name", "fmt", "said"),
    [
        (b"%PDF-1.7 not a sheet", "people.xlsx", "xlsx", "not an XLSX file"),
        (b"\x89PNG\r\n\x1a\n", "people.csv", "csv", "not a CSV file"),
        (b"\x00\x01binary", "people.json", "json", "not a JSON file"),
    ],
)
def test_file_types_take_the_right_article(content, name, fmt, said):
    with pytest.raises(FileProblem) as problem:
        read_table(content, file_name=name, fmt=fmt, encoding="utf-8")
    assert said in problem.value.message
    assert "a XLSX" not in problem.value.message
