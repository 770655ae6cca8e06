"""`manage.py export_data <kind> [--format csv|xlsx|json] [--output FILE]`

Everything of one kind in our own format, streamed: importing the file changes nothing.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.exporting import EXPORTS, export_file, export_queryset
from users.models import User, UserStatus


class Command(BaseCommand):
    help = "Export people, courses, sections, enrolments or segment memberships to a file."
    # Django's system checks are for developers (`manage.py check`, `runserver`, `migrate`).
    # An export a script runs every night should not wait for them (they load every URL
    # module: about a second).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(EXPORTS))
        parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--as",
            dest="username",
            help="Export what this person may see (a power user sees their organisation).",
        )

    def handle(self, *args, kind, format, output, username, **options):
        if username:
            person = User.objects.filter(username=username, status=UserStatus.ACTIVE).first()
            if person is None:
                raise CommandError(f"No active user signs in as {username}.")
            queryset = export_queryset(kind, person)
        else:
            queryset = EXPORTS[kind][0].objects.all()
        chunks = export_file(kind, queryset, format)
        if output:
            with Path(output).open("wb") as target:
                for chunk in chunks:
                    target.write(chunk)
            self.stderr.write(f"Wrote {output}.")
        else:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
