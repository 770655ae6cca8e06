"""An organisation's "Add credits" page (/admin/users/organisation/<id>/credits/), linked
from the organisation's page: its balance, a link to its ledger (the Seats and credits
report), and a small form, credits and reason, that calls
enrollments.services.organisation_add_credits.

For training admins only: power users and managers read the balance on the organisation's
page and the ledger in the report, and get 403 here. An organisation out of reach reads as
one that does not exist (404).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from enrollments import services as enrollment_services
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import TRAINING_ADMIN, role_of
from users.models import Organisation

WHOLE_NUMBER = re.compile(r"[+-]?\d+")


class CreditsForm(forms.Form):
    amount = forms.CharField(
        label="Credits to add",
        max_length=30,
        error_messages={"required": "Type how many credits to add."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        help_text="Kept in the ledger: an order or invoice number, say.",
    )

    def clean_amount(self):
        """A whole number, commas and spaces allowed ("1,500"); anything else is handed on
        as typed, for the service to refuse in its own words."""
        text = re.sub(r"[,\s]", "", self.cleaned_data["amount"])
        return int(text) if WHOLE_NUMBER.fullmatch(text) else text


def credits_view(organisation_admin):
    def view(request, object_id):
        organisation = None
        if str(object_id).isdigit():
            organisation = organisation_admin.get_queryset(request).filter(pk=object_id).first()
        if organisation is None:
            raise Http404("No such organisation.")
        if role_of(request.user) != TRAINING_ADMIN:
            raise PermissionDenied("Only a training admin can add credits.")
        form = CreditsForm(request.POST if request.method == "POST" else None)
        error = None
        if form.is_valid():
            try:
                enrollment_services.organisation_add_credits(
                    organisation,
                    amount=form.cleaned_data["amount"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as refusal:
                error = str(refusal)
            else:
                messages.success(
                    request,
                    f"Added {form.cleaned_data['amount']:,} credits to {organisation.name}: "
                    f"the balance is now {organisation.credit_balance:,}.",
                )
                return redirect(reverse("admin:users_organisation_change", args=[organisation.pk]))
        context = {
            **organisation_admin.admin_site.each_context(request),
            "title": f"Add credits to {organisation.name}",
            "subject": organisation,
            "opts": Organisation._meta,
            "form": form,
            "error": error,
            "ledger_url": f"{reverse('reports:seats')}?organisation={organisation.pk}",
        }
        return TemplateResponse(request, "admin/users/organisation/add_credits.html", context)

    return view
