"""The sign-in log, fed by Django's own signal so that every sign-in path is counted."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from reports import ledger_write as ledger
from reports.models import SignInEvent


@receiver(user_logged_in, dispatch_uid="reports_record_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    if getattr(user, "pk", None) is None:
        return
    SignInEvent.objects.create(user_id=user.pk, at=timezone.now())


@receiver(post_save, sender=SignInEvent, dispatch_uid="reports_count_sign_in")
def count_sign_in(sender, instance, created, **kwargs):
    # On the model rather than in record_sign_in: however a sign-in is written, it counts.
    if created:
        ledger.sign_in_added(instance)
