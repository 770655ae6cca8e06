"""Background work for large imports, through the Django Tasks API (django-tasks).

`make run` starts a worker beside the server (`manage.py db_worker`); in production, run
one or more workers. Each task is safe to run again: checking changes nothing, and
applying is one transaction that refuses to run twice.
"""

from django_tasks import task

from imports import engine
from imports.models import ImportJob, ImportState


@task()
def check_import(job_id: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.state == ImportState.CANCELLED:
        return "gone"
    return engine.check(job).state


@task()
def apply_import(job_id: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.state not in (ImportState.QUEUED, ImportState.APPLYING):
        return "not waiting"
    return engine.apply(job).state
