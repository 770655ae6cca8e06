"""`manage.py import_data <kind> FILE [--dry-run] [--format csv|xlsx|json]`

The same code as the admin's upload, preview and confirm: the file is checked, every row's
outcome is shown, and then (unless --dry-run) applied in one transaction, all or nothing.
When nothing in the file needs looking at first (no errors, no status changes), checking
and applying are one pass (engine.one_pass), with the same rows, history and report.
Progress is shown as it goes. A dry run leaves a preview that can also be confirmed in the
admin, under Import and export.
"""

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from imports import engine
from imports.kinds import KINDS
from imports.models import ImportRow, ImportState, RowOutcome
from imports.reading import ENCODINGS, FORMATS
from imports.services import import_job_create, import_job_take_credentials
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import TRAINING_ADMIN
from users.models import Organisation, User, UserStatus

SHOWN_PER_OUTCOME = 20


class Command(BaseCommand):
    help = "Import people, courses, sections, enrolments or segment memberships from a file."
    # Django's system checks are for developers (`manage.py check`, `runserver`, `migrate`).
    # An import a script runs every night should not wait for them: they load every URL
    # module, a second of a 100,000-row import's fourteen.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; change nothing."
        )
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file name.")
        parser.add_argument("--encoding", choices=list(ENCODINGS), default="utf-8")
        parser.add_argument(
            "--organisation",
            help="SIS account ID or short name of the organisation the file is for.",
        )
        parser.add_argument(
            "--sign-in",
            dest="sign_in",
            choices=["link", "password", "none"],
            default="none",
            help="How new people get their first way in: 'link' emails each a link to "
            "choose a password (people without email get a temporary password), 'password' "
            "makes temporary passwords for all, shown once here. Default: none yet.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The admin who imports (recorded in the history). Needed when there is "
            "more than one training admin.",
        )

    def handle(
        self, *args, kind, file, dry_run, format, encoding, organisation, username, sign_in, **o
    ):
        self.verbosity = o.get("verbosity", 1)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        person = self._person(username)
        try:
            job = import_job_create(
                kind=kind,
                file_name=path.name,
                content=path.read_bytes(),
                by=person,
                organisation=self._organisation(organisation),
                fmt=format,
                encoding=encoding,
                start=False,
            )
        except (DomainError, PermissionDenied) as error:
            raise CommandError(str(error)) from error
        new_people_sign_in = "" if sign_in == "none" else sign_in
        if not dry_run:
            # Straight through when nothing in the file needs looking at first; otherwise
            # (and for a dry run) the preview, then the import, as below.
            echo = self._progress("Importing")
            if engine.one_pass(job, new_people_sign_in=new_people_sign_in, echo=echo):
                self._report(job)
                self._imported(job, person)
                return
            if echo.shown:
                sys.stderr.write("\n")
        engine.check(job, echo=self._progress("Checking"))
        self._report(job)
        if job.state == ImportState.FAILED:
            raise CommandError(job.failure)
        if job.errors:
            raise CommandError("Nothing was imported: fix the errors above and run it again.")
        if dry_run:
            self.stdout.write(
                f"Dry run: nothing was changed. The preview is import #{job.pk} in the admin."
            )
            return
        job.new_people_sign_in = new_people_sign_in
        job.save(update_fields=["new_people_sign_in"])
        engine.apply(job, echo=self._progress("Importing"))
        if job.state != ImportState.DONE:
            raise CommandError(job.failure)
        self._imported(job, person)

    def _imported(self, job, person):
        applied = ", ".join(f"{value:,} {name}" for name, value in job.applied.items() if value)
        self.stdout.write(self.style.SUCCESS(f"Imported: {applied or 'nothing to change'}."))
        # Shown once here, then gone from the job.
        for credentials in import_job_take_credentials(job, by=person):
            self.stdout.write(
                f"Temporary password for {credentials['username']}: "
                f"{credentials['temporary_password']} (valid once, until "
                f"{credentials['expires_at']})"
            )

    def _person(self, username):
        if username:
            person = User.objects.filter(username=username, status=UserStatus.ACTIVE).first()
            if person is None:
                raise CommandError(f"No active user signs in as {username}.")
            return person
        admins = User.objects.filter(
            Q(is_superuser=True) | Q(groups__name=TRAINING_ADMIN), status=UserStatus.ACTIVE
        ).distinct()
        if admins.count() != 1:
            raise CommandError("Say who imports, for the history: --as <username>.")
        return admins.get()

    def _organisation(self, value):
        if not value:
            return None
        found = Organisation.objects.filter(Q(sis_account_id=value) | Q(slug=value)).first()
        if found is None:
            raise CommandError(f"No organisation has the SIS account ID or short name {value}.")
        return found

    def _progress(self, label):
        shown = set()

        def echo(done, total, state):
            if (done, total) in shown:
                return
            shown.add((done, total))
            if total:
                sys.stderr.write(f"\r{label}: {done:,}/{total:,} rows ({100 * done // total}%)")
                if done >= total:
                    sys.stderr.write("\n")
                sys.stderr.flush()

        echo.shown = shown
        return echo

    def _report(self, job):
        for message in job.findings.get("errors", []):
            self.stderr.write(self.style.ERROR(message))
        for message in job.findings.get("notes", []):
            self.stdout.write(message)
        if job.findings.get("sign_in_note"):
            self.stdout.write(job.findings["sign_in_note"])
        if job.layout:
            self.stdout.write(f"Read as {job.layout}.")
        counts = ", ".join(
            f"{job.counts.get(value, 0):,} {label.lower()}" for value, label in RowOutcome.choices
        )
        self.stdout.write(f"Rows: {counts}.")
        limit = None if self.verbosity > 1 else SHOWN_PER_OUTCOME
        for outcome in (RowOutcome.ERROR, RowOutcome.NEW, RowOutcome.STATUS, RowOutcome.UPDATED):
            rows = ImportRow.objects.filter(job=job, outcome=outcome).order_by("line")
            for row in rows[:limit] if limit else rows:
                changes = "; ".join(f"{f}: {old or '—'} → {new}" for f, old, new in row.changes)
                detail = " ".join([changes, *row.messages]).strip()
                line = f"  row {row.line} {row.get_outcome_display().lower()}: {row.key}"
                self.stdout.write(f"{line}. {detail}" if detail else line)
