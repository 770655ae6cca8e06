"""Sign-in rules: only active users, and a temporary password only until it expires."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class LifecycleBackend(ModelBackend):
    def user_can_authenticate(self, user):
        if not getattr(user, "is_active", False):
            return False
        expires_at = getattr(user, "temporary_password_expires_at", None)
        return not (user.must_change_password and expires_at and expires_at <= timezone.now())
