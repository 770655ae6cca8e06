"""Pages for people signing in: choosing a new password after a temporary one."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from users.forms import ChoosePasswordForm


@login_required
def choose_password(request):
    user = request.user
    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, user)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = "/admin/" if user.is_staff else "/"
        return redirect(target)
    return render(
        request,
        "registration/choose_password.html",
        {"form": form, "title": "Choose a new password", "must": user.must_change_password},
    )
