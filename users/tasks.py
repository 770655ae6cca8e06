"""Background work of the users app, through the Django Tasks API (django-tasks).

The "Forgot password" email, the retention run, and the dormant-account reviews:
`manage.py run_reviews` (from cron) enqueues `run_scheduled_reviews`; notices to reviewers
and training admins are enqueued by the services after their change commits. Each task is
safe to run again: a started review moves the policy's next date, a reminder is sent once,
and a closed review is left alone.
"""

from django_tasks import task

from users import services
from users.models import User
from users.services.retention import retention_run


@task()
def send_password_reset(user_id: int) -> bool:
    """The "Forgot password" email. Sent only if the person is still active and has an
    address when the task runs; the link is the project's reset page."""
    user = User.objects.active().exclude(email="").filter(pk=user_id).first()
    if user is None:
        return False
    services.send_password_reset_link(user, reactivated=False)
    return True


@task()
def run_scheduled_reviews() -> list[str]:
    return services.review_runs_tick()


@task()
def send_review_notice(run_id: int, notice: str) -> int:
    return services.review_notice_send(run_id, notice)


@task()
def purge_authentication_events() -> int:
    """Forget sign-in and sign-out events older than AUTHENTICATION_EVENT_RETENTION_DAYS;
    enqueue it daily, or run `manage.py purge_sign_in_events` from cron."""
    from users.services import authentication_events_purge

    return authentication_events_purge()


@task()
def run_retention() -> dict:
    """The retention policy's run; cron enqueues it or runs `manage.py run_retention`."""
    outcome = retention_run(by=None)
    return {"people": outcome.total, "receipts": [receipt.pk for receipt in outcome.receipts]}
