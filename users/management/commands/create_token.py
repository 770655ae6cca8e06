"""`manage.py create_token <username> [--expires-in DAYS] [--purpose TEXT]`: print a new
personal API token. It is shown this once; only its digest is stored."""

from django.core.management.base import BaseCommand, CommandError

from lms_admin.plumbing.errors import DomainError
from users.models import User
from users.services.tokens import DEFAULT_EXPIRES_IN_DAYS, token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires-in",
            type=int,
            default=DEFAULT_EXPIRES_IN_DAYS,
            metavar="DAYS",
            help=f"Days until the token expires (default {DEFAULT_EXPIRES_IN_DAYS}).",
        )
        parser.add_argument("--purpose", default="Created on the command line")

    def handle(self, *args, username, expires_in, purpose, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user signs in as {username!r}.")
        try:
            token, secret = token_create(
                user,
                by=None,
                reason="Command line: create_token",
                purpose=purpose,
                expires_in_days=expires_in,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Token for {user.username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC. "
            "Copy it now: it is not shown again."
        )
        self.stdout.write(secret)
