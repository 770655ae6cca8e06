"""Background work of Canvas SIS imports (see imports/sis_batch.py), through django-tasks."""

from django_tasks import task

from imports.models import ImportJob


@task()
def run_sis_import(job_id: int) -> str:
    from imports import sis_batch
    from imports.sis_batch_mode import batch_mode_marks

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "gone"
    after = batch_mode_marks if job.options.get("batch_mode") else None
    return sis_batch.run(job, after_apply=after).state


@task()
def restore_sis_import_states(progress_id: int) -> str:
    from imports.sis_restore import restore_states

    return restore_states(progress_id)
