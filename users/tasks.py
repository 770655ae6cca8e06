"""Background work of the dormant-account reviews, through the Django Tasks API.

`manage.py run_reviews` (from cron) enqueues `run_scheduled_reviews`; notices to reviewers
and training admins are enqueued by the services after their change commits. Each task is
safe to run again: a started review moves the policy's next date, a reminder is sent once,
and a closed review is left alone.
"""

from django_tasks import task

from users import services


@task()
def run_scheduled_reviews() -> list[str]:
    return services.review_runs_tick()


@task()
def send_review_notice(run_id: int, notice: str) -> int:
    return services.review_notice_send(run_id, notice)
