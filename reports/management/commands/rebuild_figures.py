"""Rebuild the figures ledger behind the analytics from the tables and their history."""

import time

from django.core.management.base import BaseCommand

from reports.ledger_rebuild import rebuild_ledger
from users import services
from users.selectors.status_counts import kept_counts_available


class Command(BaseCommand):
    help = (
        "Rebuild the figures ledger (reports.FigureDelta) from the tables and their history: "
        "for data loaded without the services, or a ledger in doubt. On PostgreSQL it also "
        "counts everyone's status again for the users page's tabs."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = rebuild_ledger()
        self.stdout.write(
            f"Figures ledger rebuilt: {rows:,} rows in {time.monotonic() - started:.1f} s"
        )
        if kept_counts_available("default"):
            started = time.monotonic()
            services.status_counts_recount()
            self.stdout.write(f"Status counts recounted in {time.monotonic() - started:.1f} s")
