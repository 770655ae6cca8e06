"""Background work of the enrollments app, through the Django Tasks API (django-tasks)."""

from django_tasks import task

from enrollments import notices


@task()
def send_learner_notices(kind: str, ids: list[int]) -> int:
    """Safe to run again: it sends to whoever is active when it runs."""
    return notices.send_notices(kind, ids)
