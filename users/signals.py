"""Sign-in hooks: last_login written without history; a temporary password is spent.

Django's own `update_last_login` saves the user, and simple-history writes a history row for
every save: a blank "Changed" row per sign-in (last_login is not tracked). A sign-in is
counted where figures are read (reports.SignInEvent and the ledger) and kept in last_login,
written here with one UPDATE that writes no history.
"""

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="users_record_last_login")
def record_last_login(sender, request, user, **kwargs):
    now = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=now)
    user.last_login = now


@receiver(user_logged_in)
def spend_temporary_password(sender, request, user, **kwargs):
    if not (user.must_change_password and user.temporary_password_expires_at):
        return
    from users.services import user_consume_temporary_password

    user_consume_temporary_password(user)
    if request is not None and hasattr(request, "session"):
        # The password changed, so keep this new session (and only this one) signed in.
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()


@receiver(user_logged_in, dispatch_uid="users_audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    _audit(request, user, "login")


@receiver(user_logged_out, dispatch_uid="users_audit_sign_out")
def audit_sign_out(sender, request, user, **kwargs):
    if user is not None:
        _audit(request, user, "logout")


def _audit(request, user, event_type: str) -> None:
    from users.services import authentication_event_record
    from users.sign_in_throttle import client_address

    address = client_address(request) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    authentication_event_record(user, event_type, address=address, user_agent=agent)
