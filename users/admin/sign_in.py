"""The user card's "Lift the pause" button: the door is services.user_unlock_sign_in."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from lms_admin.plumbing.errors import DomainError
from users import services
from users.admin.user_pages import UserPages, error_status


def unlock_sign_in_view(admin):
    pages = UserPages(admin)

    @require_POST
    def unlock_sign_in(request, object_id):
        user = pages._user(request, object_id)
        pages._require(request, admin.has_change_permission(request, user), user)
        reason = request.POST.get("reason", "").strip() or "Lifted from the user card"
        try:
            forgotten = services.user_unlock_sign_in(user, by=request.user, reason=reason)
        except DomainError as error:
            return pages._refuse(request, user, str(error), error_status(error))
        if forgotten:
            messages.success(
                request,
                f"Sign-in pause lifted: the failed sign-ins of {user.username} are forgotten.",
            )
        else:
            messages.info(request, f"Sign-in to {user.username} was not paused.")
        return redirect(pages._card_url(user))

    return unlock_sign_in
