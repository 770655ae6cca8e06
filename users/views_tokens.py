"""A person's own API tokens: create one (shown once) and revoke any of theirs."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from lms_admin.plumbing.errors import DomainError
from users.models import AccessToken
from users.services.tokens import (
    DEFAULT_EXPIRES_IN_DAYS,
    MAX_EXPIRES_IN_DAYS,
    token_create,
    token_revoke,
)


class TokenForm(forms.Form):
    purpose = forms.CharField(
        max_length=200, help_text="What the token is for, e.g. “enrolment sync script”."
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=MAX_EXPIRES_IN_DAYS,
        initial=DEFAULT_EXPIRES_IN_DAYS,
    )


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = token_create(
                request.user,
                by=request.user,
                reason="Created on the profile page",
                purpose=form.cleaned_data["purpose"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = TokenForm()
    own = AccessToken.objects.filter(user=request.user).order_by("-created_at")[:100]
    return render(
        request,
        "account/tokens.html",
        {"form": form, "secret": secret, "tokens": own, "title": "Your API tokens"},
    )


@login_required
@require_POST
def revoke(request, token_id):
    token = get_object_or_404(AccessToken, pk=token_id, user=request.user)
    token_revoke(token, by=request.user, reason="Revoked on the profile page")
    messages.success(request, f"The token “{token}” no longer works.")
    return redirect("account-tokens")


urlpatterns = [
    path("", tokens, name="account-tokens"),
    path("<int:token_id>/revoke/", revoke, name="account-token-revoke"),
]
