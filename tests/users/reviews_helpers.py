"""People for the review tests: dormant, never used, marked, with and without activity."""

from datetime import timedelta

from django.utils import timezone

from enrollments import services as enrollment_services
from users.models import User


def age(user, *, joined_days_ago: int, signed_in_days_ago: int | None = None):
    """Backdate a test person (set-up only: the services never change these columns)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        date_joined=now - timedelta(days=joined_days_ago),
        last_login=None if signed_in_days_ago is None else now - timedelta(days=signed_in_days_ago),
    )
    user.refresh_from_db()
    return user


def start_course(user, course, by):
    enrollment = enrollment_services.enrollment_create(
        user=user, course=course, by=by, reason="Test set-up"
    )
    enrollment.started_at = timezone.now() - timedelta(days=800)
    enrollment.save(update_fields=["started_at"])
    return enrollment
