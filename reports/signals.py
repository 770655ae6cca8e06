"""The sign-in log, fed by Django's own signal so that every sign-in path is counted."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from reports.models import SignInEvent


@receiver(user_logged_in, dispatch_uid="reports_record_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    if getattr(user, "pk", None) is None:
        return
    SignInEvent.objects.create(user_id=user.pk, at=timezone.now())
