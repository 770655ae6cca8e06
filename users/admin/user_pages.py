"""One-user pages of the users admin: the Active/Inactive toggle (JSON for the dialog, a
confirmation page without JavaScript), reset password, delete, undelete, revert, and the
one-time download of handed-out credentials."""

from __future__ import annotations

import functools
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from enrollments.selectors import consumption_sentence
from lms_admin.plumbing.admin import reason_from
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import MANAGER, manage_refusal, role_of
from lms_admin.plumbing.stale import StaleEdit
from reports.exports import csv_download
from users import services
from users.models import User, UserStatus

CREDENTIALS_SESSION_KEY = "handed_out_credentials"


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def json_errors(view):
    """Refusals as JSON for the dialog's fetch (which asks for JSON), as pages otherwise."""

    @functools.wraps(view)
    def wrapper(self, request, *args, **kwargs):
        try:
            return view(self, request, *args, **kwargs)
        except (Http404, PermissionDenied) as error:
            if not wants_json(request):
                raise
            status = 404 if isinstance(error, Http404) else 403
            message = str(error) or (
                "No such user." if status == 404 else "You do not have permission to do that."
            )
            return JsonResponse({"ok": False, "error": message}, status=status)

    return wrapper


def error_status(error: DomainError) -> int:
    return 403 if isinstance(error, NotPermitted) else 400


def credentials_payload(credentials: services.Credentials) -> dict:
    if credentials.temporary_password:
        return {
            "temporary_password": credentials.temporary_password,
            "expires_at": credentials.expires_at.isoformat(),
            "expires_label": timezone.localtime(credentials.expires_at).strftime(
                "%d %b %Y %H:%M %Z"
            ),
            "message": (
                f"Temporary password for {credentials.user.username}. It is shown only once, "
                "works once, and the user must choose a new password when they sign in."
            ),
        }
    if credentials.reset_link_sent_to:
        return {"message": f"Password reset link sent to {credentials.masked_email}."}
    return {}


def remember_credentials(request, handed_out: list[services.Credentials]) -> str | None:
    """Keep temporary passwords for one CSV download; returns the download key."""
    rows = [
        {
            "username": item.user.username,
            "name": item.user.get_full_name(),
            "email": item.reset_link_sent_to,
            "temporary_password": item.temporary_password,
            "expires_at": item.expires_at.isoformat() if item.expires_at else "",
            "outcome": "temporary password" if item.temporary_password else "reset link emailed",
        }
        for item in handed_out
        if item.temporary_password or item.reset_link_sent_to
    ]
    if not rows:
        return None
    key = secrets.token_urlsafe(12)
    stash = request.session.get(CREDENTIALS_SESSION_KEY, {})
    stash[key] = rows
    request.session[CREDENTIALS_SESSION_KEY] = stash
    return key


class UserPages:
    """Views mounted by UserAdmin.get_urls(); `admin` is the UserAdmin instance."""

    def __init__(self, admin):
        self.admin = admin

    # helpers ---------------------------------------------------------------------------

    def _user(self, request, object_id) -> User:
        user = self.admin.get_queryset(request).filter(pk=object_id).first()
        if user is None:
            raise Http404("No such user, or they belong to another organisation.")
        return user

    def _require(self, request, allowed: bool, user: User | None = None):
        if allowed:
            return
        if role_of(request.user) == MANAGER:
            raise PermissionDenied("Managers can look at users but not change them.")
        refusal = manage_refusal(request.user, user) if user is not None else None
        raise PermissionDenied(refusal or "You do not have permission to do that.")

    def _render(self, request, template, context):
        context = {
            **self.admin.admin_site.each_context(request),
            "opts": User._meta,
            **context,
        }
        return TemplateResponse(request, f"admin/users/user/{template}", context)

    def _card_url(self, user):
        return reverse("admin:users_user_change", args=[user.pk])

    def _finish(self, request, user, outcome_message, credentials=None, status=200):
        payload = {
            "ok": True,
            "status": user.status,
            "status_label": user.get_status_display(),
            "message": outcome_message,
            **(credentials_payload(credentials) if credentials else {}),
        }
        if wants_json(request):
            return JsonResponse(payload, status=status)
        if credentials and credentials.temporary_password:
            return self._render(
                request,
                "credentials.html",
                {"title": "Temporary password", "subject": user, "payload": payload},
            )
        messages.success(request, outcome_message)
        if credentials and credentials.reset_link_sent_to:
            messages.info(request, payload["message"])
        return redirect(request.POST.get("next") or self._card_url(user))

    def _refuse(self, request, user, message, status):
        if wants_json(request):
            return JsonResponse(
                {
                    "ok": False,
                    "error": message,
                    "status": user.status,
                    "status_label": user.get_status_display(),
                },
                status=status,
            )
        messages.error(request, message)
        return redirect(request.POST.get("next") or self._card_url(user))

    def _change(self, request, user, service, default_reason):
        """Calls a lifecycle service as the page's user, with the reason typed (else
        `default_reason`) and the status the page showed. Returns (its result, None), or
        (None, the refusal to answer with) when the service refuses."""
        try:
            result = service(
                user,
                by=request.user,
                reason=reason_from(request, default_reason),
                expected_status=request.POST.get("expected_status"),
            )
        except StaleEdit as stale:
            return None, self._refuse(request, stale.instance, str(stale), 409)
        except DomainError as error:
            return None, self._refuse(request, user, str(error), error_status(error))
        return result, None

    # views -----------------------------------------------------------------------------

    @json_errors
    def toggle(self, request, object_id):
        """Switch between Active and Inactive, with a reason and a confirmation."""
        user = self._user(request, object_id)
        self._require(request, self.admin.has_change_permission(request, user), user)
        if user.status == UserStatus.DELETED:
            raise Http404("A deleted user has no Active/Inactive switch; undelete them first.")
        turning_on = user.status == UserStatus.INACTIVE
        verb = "Reactivate" if turning_on else "Deactivate"
        if request.method != "POST":
            return self._render(
                request,
                "confirm_toggle.html",
                {
                    "title": f"{verb} {user.get_full_name()}?",
                    "subject": user,
                    "turning_on": turning_on,
                    "consumption": ""
                    if turning_on
                    else consumption_sentence([user.pk], single=True),
                    "next": request.GET.get("next", ""),
                },
            )
        if turning_on:
            credentials, refused = self._change(
                request, user, services.user_reactivate, "Reactivated in the admin"
            )
            message = f"{user.get_full_name()} is active again."
        else:
            credentials = None
            _, refused = self._change(
                request, user, services.user_deactivate, "Deactivated in the admin"
            )
            message = (
                f"{user.get_full_name()} is inactive: no access from now on; "
                "enrolments and history are kept."
            )
        if refused is not None:
            return refused
        return self._finish(request, user, message, credentials)

    @json_errors
    def reset_password(self, request, object_id):
        user = self._user(request, object_id)
        self._require(request, self.admin.has_change_permission(request, user), user)
        if request.method != "POST":
            return self._render(
                request,
                "confirm_one.html",
                {
                    "title": f"Reset the password of {user.get_full_name()}?",
                    "subject": user,
                    "explanation": (
                        "Their current password stops working and they are signed out. "
                        + (
                            f"A reset link goes to {services.mask_email(user.email)}."
                            if user.email
                            else "They have no email, so you will see a temporary password "
                            "to pass on; it is shown once."
                        )
                    ),
                    "button": "Reset password",
                },
            )
        credentials, refused = self._change(
            request, user, services.user_reset_password, "Password reset in the admin"
        )
        if refused is not None:
            return refused
        return self._finish(request, user, "Password reset.", credentials)

    @json_errors
    def delete(self, request, object_id):
        user = self._user(request, object_id)
        self._require(request, self.admin.has_lifecycle_delete_permission(request, user), user)
        if request.method != "POST":
            return self._render(
                request,
                "confirm_one.html",
                {
                    "title": f"Delete {user.get_full_name()}?",
                    "subject": user,
                    "explanation": (
                        "They lose access and disappear from lists. Each enrolment's state is "
                        "remembered, so Undelete restores everything exactly. If they only left, "
                        "Deactivate is usually the better choice."
                    ),
                    "consumption": consumption_sentence([user.pk], single=True),
                    "button": "Delete",
                    "danger": True,
                },
            )
        _, refused = self._change(request, user, services.user_delete, "Deleted in the admin")
        if refused is not None:
            return refused
        return self._finish(request, user, f"{user.get_full_name()} is deleted.")

    @json_errors
    def undelete(self, request, object_id):
        user = self._user(request, object_id)
        self._require(request, self.admin.has_lifecycle_delete_permission(request, user), user)
        if request.method != "POST":
            return self._render(
                request,
                "confirm_one.html",
                {
                    "title": f"Undelete {user.get_full_name()}?",
                    "subject": user,
                    "explanation": (
                        "They return to the status they had before deletion "
                        f"({UserStatus(user.status_before_delete or 'inactive').label}), and "
                        "every enrolment returns to its exact state."
                    ),
                    "button": "Undelete",
                },
            )
        credentials, refused = self._change(
            request, user, services.user_undelete, "Undeleted in the admin"
        )
        if refused is not None:
            return refused
        user.refresh_from_db()
        return self._finish(request, user, f"{user.get_full_name()} is restored.", credentials)

    @json_errors
    def revert(self, request, object_id, history_id):
        user = self._user(request, object_id)
        self._require(request, self.admin.has_change_permission(request, user), user)
        if request.method != "POST":
            return redirect(self._card_url(user))
        try:
            credentials = services.user_revert_change(
                user,
                int(history_id),
                by=request.user,
                reason=request.POST.get("reason", "").strip() or f"Reverted change {history_id}",
            )
        except DomainError as error:
            return self._refuse(request, user, str(error), error_status(error))
        user.refresh_from_db()
        return self._finish(request, user, "The change was reverted.", credentials)

    def credentials_csv(self, request, key):
        """The handed-out credentials of a bulk reactivation, downloadable once."""
        stash = request.session.get(CREDENTIALS_SESSION_KEY, {})
        rows = stash.pop(key, None)
        request.session[CREDENTIALS_SESSION_KEY] = stash
        if rows is None:
            raise Http404("This download has already been used or has expired.")
        stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
        headers = list(rows[0])
        return csv_download(
            f"reactivated-users-{stamp}.csv",
            headers,
            ([row[name] for name in headers] for row in rows),
        )
