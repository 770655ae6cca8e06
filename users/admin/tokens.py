"""API tokens in the admin: a training admin creates one for a user (shown once) and revokes
tokens; the secret itself is never stored or shown again."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from lms_admin.plumbing.admin import ScopedAdmin, reason_from
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import TRAINING_ADMIN, role_of
from users.models import AccessToken
from users.services.tokens import (
    DEFAULT_EXPIRES_IN_DAYS,
    MAX_EXPIRES_IN_DAYS,
    token_create,
    token_revoke,
)


class AccessTokenCreationForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=MAX_EXPIRES_IN_DAYS,
        initial=DEFAULT_EXPIRES_IN_DAYS,
    )

    class Meta:
        model = AccessToken
        fields = ("user", "purpose")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError(
                f"{user.username} is {user.status}; only active users get tokens."
            )
        return user


class AccessTokenAdmin(ScopedAdmin):
    list_display = ("__str__", "user", "created_at", "expires_at", "last_used_at", "state")
    list_select_related = ("user",)
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "purpose", "=hint")
    autocomplete_fields = ("user",)
    readonly_fields = (
        "user",
        "purpose",
        "hint",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke_selected"]

    def _is_training_admin(self, request) -> bool:
        return role_of(request.user) == TRAINING_ADMIN

    def has_module_permission(self, request):
        return self._is_training_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_training_admin(request)

    def has_add_permission(self, request):
        return self._is_training_admin(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return self._is_training_admin(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AccessTokenCreationForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "purpose", "expires_in_days")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description="State")
    def state(self, obj):
        if obj.is_revoked:
            return format_html('<span style="color:#cf222e">{}</span>', "Revoked")
        if obj.is_expired:
            return "Expired"
        return "Works"

    def save_model(self, request, obj, form, change):
        try:
            token, secret = token_create(
                form.cleaned_data["user"],
                by=request.user,
                reason=reason_from(request, "Created in the admin"),
                purpose=form.cleaned_data["purpose"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as error:
            messages.error(request, error.message)
            raise
        # The admin goes on to log and redirect using `obj`; make it the token just made.
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if k != "_state"})
        obj._state.adding = False
        messages.success(
            request,
            format_html(
                "The token for {} is <code style='user-select:all'>{}</code>. Copy it now: "
                "it will not be shown again.",
                token.user.username,
                secret,
            ),
        )

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(
                token, by=request.user, reason=reason_from(request, "Revoked in the admin")
            )
            revoked += 1
        messages.success(request, f"Revoked {revoked} token(s); they no longer work.")
