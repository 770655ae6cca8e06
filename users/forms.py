from django.contrib.auth.forms import SetPasswordForm

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
