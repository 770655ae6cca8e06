"""Forget sign-in and sign-out events older than AUTHENTICATION_EVENT_RETENTION_DAYS."""

from django.core.management.base import BaseCommand

from users.services import authentication_events_purge
from users.services.sign_in_events import retention_days


class Command(BaseCommand):
    help = "Delete sign-in and sign-out events older than the retention period."

    def handle(self, *args, **options):
        removed = authentication_events_purge()
        self.stdout.write(f"{removed} events older than {retention_days()} days deleted.")
