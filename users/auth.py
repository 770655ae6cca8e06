"""Sign-in rules: only active users, and a temporary password only until it expires."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class LifecycleBackend(ModelBackend):
    def user_can_authenticate(self, user):
        if not getattr(user, "is_active", False):
            return False
        expires_at = getattr(user, "temporary_password_expires_at", None)
        return not (user.must_change_password and expires_at and expires_at <= timezone.now())


def inactive_account_organisation(username, password):
    """For the sign-in page: the organisation (or None) of an inactive account whose
    password before deactivation is `password`; False for anything else (no such account,
    another status, a wrong password), so the page says no more than "wrong"."""
    from django.contrib.auth.hashers import check_password

    from users.models import User, UserStatus

    if not username or not password:
        return False
    user = (
        User.objects.filter(username=username, status=UserStatus.INACTIVE)
        .select_related("organisation")
        .first()
    )
    if user is None or not user.password_while_inactive:
        return False
    if not check_password(password, user.password_while_inactive):
        return False
    return user.organisation
