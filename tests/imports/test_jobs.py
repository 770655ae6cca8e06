"""Import jobs over time: a stalled worker, a restart, passwords that expire."""

from datetime import timedelta

import pytest
from django.utils import timezone

from imports import services
from imports.models import ImportJob, ImportState

pytestmark = pytest.mark.django_db


def make_job(person, **values):
    defaults = {"kind": "users", "file_name": "x.csv", "format": "csv", "created_by": person}
    return ImportJob.objects.create(**{**defaults, **values})


def test_a_job_whose_worker_went_quiet_is_stalled_and_can_start_again(
    admin_user, django_capture_on_commit_callbacks
):
    job = make_job(
        admin_user,
        state=ImportState.APPLYING,
        confirmed_at=timezone.now(),
        heartbeat_at=timezone.now() - timedelta(minutes=30),
    )
    assert services.stalled(job)
    with django_capture_on_commit_callbacks() as callbacks:
        services.import_job_restart(job, by=admin_user)
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED and not services.stalled(job)
    assert len(callbacks) == 1  # the apply task is enqueued once the restart commits


def test_a_busy_job_is_not_stalled(admin_user):
    job = make_job(admin_user, state=ImportState.CHECKING, heartbeat_at=timezone.now())
    assert not services.stalled(job)
    with pytest.raises(services.DomainError):
        services.import_job_restart(job, by=admin_user)


def test_expired_temporary_passwords_are_not_handed_out(admin_user):
    now = timezone.now()
    job = make_job(
        admin_user,
        state=ImportState.DONE,
        credentials=[
            {"username": "old", "expires_at": (now - timedelta(hours=1)).isoformat()},
            {"username": "new", "expires_at": (now + timedelta(hours=1)).isoformat()},
        ],
    )
    taken = services.import_job_take_credentials(job, by=admin_user)
    assert [item["username"] for item in taken] == ["new"]
    assert services.import_job_take_credentials(job, by=admin_user) == []


def test_cancelling_a_preview_discards_the_file(admin_user):
    job = make_job(admin_user, state=ImportState.CHECKED, content=b"user_id\n1\n")
    services.import_job_cancel(job, by=admin_user)
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED and job.content is None
    with pytest.raises(services.DomainError):
        services.import_job_confirm(job, by=admin_user)
