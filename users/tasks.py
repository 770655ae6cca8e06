"""Background work of the users app, through the Django Tasks API (django-tasks)."""

from django_tasks import task

from users.models import User
from users.services import send_password_reset_link


@task()
def send_password_reset(user_id: int) -> bool:
    """The "Forgot password" email. Sent only if the person is still active and has an
    address when the task runs; the link is the project's reset page."""
    user = User.objects.active().exclude(email="").filter(pk=user_id).first()
    if user is None:
        return False
    send_password_reset_link(user, reactivated=False)
    return True


@task()
def purge_authentication_events() -> int:
    """Forget sign-in and sign-out events older than AUTHENTICATION_EVENT_RETENTION_DAYS;
    enqueue it daily, or run `manage.py purge_sign_in_events` from cron."""
    from users.services import authentication_events_purge

    return authentication_events_purge()
