from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction

from users.auth import inactive_account_organisation
from users.models import User
from users.services import user_set_password


class ChoosePasswordForm(SetPasswordForm):
    """Django's set-password form, saving through the lifecycle service (history, flags)."""

    reason = "Chose a new password"

    def save(self, commit=True):
        if commit:
            user_set_password(
                self.user, self.cleaned_data["new_password1"], by=self.user, reason=self.reason
            )
        return self.user


class ResetLinkPasswordForm(ChoosePasswordForm):
    reason = "Chose a new password from the reset link"


class SignInForm(AuthenticationForm):
    """Django's sign-in form; after the right password for an inactive account it says the
    account is inactive and whom to contact. A wrong password never learns the status."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": "Your account is inactive, so you cannot sign in. To use it again, "
        "contact %(contact)s.",
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) != "invalid_login":
                raise
            organisation = inactive_account_organisation(
                self.cleaned_data.get("username"), self.cleaned_data.get("password")
            )
            if organisation is False:
                raise
            contact = (organisation and organisation.contact) or "your training administrator"
            raise ValidationError(
                self.error_messages["inactive"], code="inactive", params={"contact": contact}
            ) from error


class ForgotPasswordForm(PasswordResetForm):
    """Django's reset form, but the link goes out through the task queue after commit, only
    to active people, with the project's reset page; the page that follows is the same
    whether or not an account uses the address."""

    def get_users(self, email):
        return User.objects.active().filter(email__iexact=email).exclude(email="")

    def save(self, **kwargs):
        from users.tasks import send_password_reset

        ids = list(self.get_users(self.cleaned_data["email"]).values_list("id", flat=True))
        for user_id in ids:
            transaction.on_commit(lambda user_id=user_id: send_password_reset.enqueue(user_id))
