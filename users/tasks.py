"""Scheduled work of the users app, through the Django Tasks API (django-tasks)."""

from django_tasks import task

from users.services.retention import retention_run


@task()
def run_retention() -> dict:
    """The retention policy's run; cron enqueues it or runs `manage.py run_retention`."""
    outcome = retention_run(by=None)
    return {"people": outcome.total, "receipts": [receipt.pk for receipt in outcome.receipts]}
