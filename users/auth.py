"""Sign-in rules: only active users, and a temporary password only until it expires.

A merged-away account's username may be kept as an extra sign-in name of the account it
was merged into (SignInName): signing in with it is signing in as that account."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from users.models import SignInName


class LifecycleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username:
            extra = SignInName.objects.filter(name=username).select_related("user").first()
            if extra is not None:
                primary = extra.user
                if primary.check_password(password) and self.user_can_authenticate(primary):
                    return primary
        return user

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
