"""Sign-in hooks: a temporary password is spent by the sign-in that uses it."""

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def spend_temporary_password(sender, request, user, **kwargs):
    if not (user.must_change_password and user.temporary_password_expires_at):
        return
    from users.services import user_consume_temporary_password

    user_consume_temporary_password(user)
    if request is not None and hasattr(request, "session"):
        # The password changed, so keep this new session (and only this one) signed in.
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
