"""`manage.py run_reviews [--dry-run] [--now]`: for cron. Starts the organisations' due
reviews of dormant accounts, sends reminders and applies deadlines, through the task queue
(`--now`: in this process). A dry run changes nothing and prints what would be done."""

from django.core.management.base import BaseCommand

from users import services
from users.tasks import run_scheduled_reviews


class Command(BaseCommand):
    help = "Start due reviews of dormant accounts, remind reviewers and apply deadlines."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; change nothing."
        )
        parser.add_argument(
            "--now", action="store_true", help="Do it in this process, not through the queue."
        )

    def handle(self, *args, dry_run, now, **options):
        if dry_run:
            lines = services.review_runs_tick(dry_run=True)
            for line in lines or ["Nothing to do."]:
                self.stdout.write(line)
            return
        if now:
            for line in services.review_runs_tick() or ["Nothing to do."]:
                self.stdout.write(line)
            return
        result = run_scheduled_reviews.enqueue()
        self.stdout.write(f"Queued the review run (task {result.id}).")
