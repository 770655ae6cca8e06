"""Pages for people signing in: a new password after a temporary one, forgotten
passwords, signing out."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from users.forms import ChoosePasswordForm, ForgotPasswordForm


@login_required
def choose_password(request):
    user = request.user
    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, user)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = "/admin/" if user.is_staff else "/learn/"
        return redirect(target)
    return render(
        request,
        "registration/choose_password.html",
        {"form": form, "title": "Choose a new password", "must": user.must_change_password},
    )


class SignOutView(auth_views.LogoutView):
    """Sign out by POST, as Django requires; a GET (a followed link, a bookmark) gets a page
    with the button instead of "405 Method not allowed"."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/sign_out.html", {"title": "Sign out"})


class ForgotPasswordView(auth_views.PasswordResetView):
    form_class = ForgotPasswordForm
    template_name = "registration/forgot_password.html"
    success_url = reverse_lazy("password_reset_done")
