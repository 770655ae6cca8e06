"""`manage.py run_retention [--dry-run]`: the retention policy's run, for cron."""

from django.core.management.base import BaseCommand

from users.services.retention import retention_run


class Command(BaseCommand):
    help = "Anonymise the people whose retention period has passed (see the retention policies)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would be anonymised; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        outcome = retention_run(by=None, dry_run=dry_run)
        verb = "Would anonymise" if dry_run else "Anonymised"
        for organisation, count in outcome.people.items():
            self.stdout.write(f"{verb} {count:,} people of {organisation}")
        for receipt in outcome.receipts:
            self.stdout.write(f"Erasure receipt {receipt.pk}: {receipt.people:,} people")
        self.stdout.write(f"{verb} {outcome.total:,} people in all.")
