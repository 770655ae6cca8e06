"""A person who signed in with a temporary password chooses a new one before anything else."""

from django.shortcuts import redirect
from django.urls import reverse


class MustChangePasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("choose_password"), reverse("admin:logout"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith("/static/"):
                return redirect(f"{reverse('choose_password')}?next={request.path}")
        return self.get_response(request)
