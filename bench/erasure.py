"""Speeds of erasure (issue 16): one person with 10,000 history rows (target ≤ 1 s), a
retention run anonymising 100,000 people (≤ 60 s), purging an organisation of 100,000
people (≤ 2 minutes). `manage.py bench erasure` after `seed_demo --users N` on PostgreSQL.

Every change runs inside a transaction that is rolled back, so the data set stays as it was.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench.management.commands.bench import Measurement, timed
from lms_admin.plumbing.history import history_columns
from lms_admin.plumbing.scoping import TRAINING_ADMIN
from users import services
from users.models import Organisation, User, UserStatus

HISTORY_ROWS = 10_000
RETENTION_PEOPLE = 100_000
STORED_IMPORT_ROWS = 100_000


class Rollback(Exception):
    pass


def _add_history_rows(user_id: int, rows: int) -> None:
    """`rows` more history rows of one person, written by the database in one statement."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in history_columns(User))
    table = quote(User.history.model._meta.db_table)
    if connection.vendor == "postgresql":
        series = f"generate_series(1, {int(rows)})"
    else:
        series = (
            "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
            f" WHERE i < {int(rows)}) SELECT i FROM n)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, history_date, history_change_reason,"
            f" history_type, history_user_id) SELECT {columns}, %s, %s, '~', NULL"
            f" FROM {quote(User._meta.db_table)}, {series} AS s WHERE id = %s",
            [timezone.now(), "Bench change", user_id],
        )


def _add_stored_import(rows: int) -> None:
    """A finished import of `rows` new people, its rows and plans stored as an import keeps
    them: what every erasure searches for the person's identifiers (PostgreSQL only)."""
    from imports.models import ImportJob, ImportState

    job = ImportJob.objects.create(
        kind="users", file_name="earlier.csv", format="csv", state=ImportState.DONE
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO imports_importrow (job_id, line, outcome, key, target, changes, messages)"
            " SELECT %s, n, 'new', 'earlier_' || n, NULL, '[]',"
            " jsonb_build_array('No organisation: this person will be under No organisation.')"
            " FROM generate_series(1, %s) AS n",
            [job.pk, rows],
        )
        cursor.execute(
            "INSERT INTO imports_importplan (job_id, number, plans)"
            " SELECT %s, batch, (SELECT jsonb_agg(jsonb_build_object('outcome', 'new',"
            " 'username', 'earlier_' || n, 'email', 'earlier.' || n || '@example.com',"
            " 'first_name', 'Earlier', 'last_name', 'Person' || n, 'sis_user_id', 'E-' || n))"
            " FROM generate_series((batch - 1) * 2000 + 1, batch * 2000) AS n)"
            " FROM generate_series(1, %s) AS batch",
            [job.pk, rows // 2000],
        )


def _plain_people():
    return User.objects.filter(is_staff=False, is_superuser=False, anonymised_at__isnull=True)


def _erase_one(stdout):
    with transaction.atomic():
        person = _plain_people().order_by("id").first()
        _add_history_rows(person.pk, HISTORY_ROWS)
        if connection.vendor == "postgresql":
            _add_stored_import(STORED_IMPORT_ROWS)
        rows = User.history.filter(id=person.pk).count()
        try:
            with transaction.atomic():
                with timed() as took:
                    services.user_anonymise(person, by=None, reason="Benchmark")
                raise Rollback
        except Rollback:
            pass
        transaction.set_rollback(True)
    yield Measurement(
        f"Erase one person with {rows:,} history rows, beside a stored import of "
        f"{STORED_IMPORT_ROWS:,} rows",
        took["ms"],
        "ms",
        "≤ 1,000 ms",
        took["queries"],
    )


def _retention(stdout):
    try:
        with transaction.atomic():
            ids = list(
                _plain_people()
                .exclude(groups__isnull=False)
                .order_by("id")
                .values_list("id", flat=True)[:RETENTION_PEOPLE]
            )
            User.objects.filter(id__in=ids).update(
                status=UserStatus.INACTIVE,
                status_changed_at=timezone.now() - timedelta(days=365 * 7),
            )
            with timed() as took:
                outcome = services.retention_run(by=None)
            raise Rollback
    except Rollback:
        pass
    yield Measurement(
        f"Retention run anonymising {outcome.total:,} people",
        took["ms"] / 1000,
        "s",
        "≤ 60 s",
        took["queries"],
    )


def _purge(stdout):
    # Without their organisation-less admins (such as bench_admin): NOT IN over a NULL
    # would exclude every organisation.
    admins = User.objects.filter(is_superuser=True, organisation__isnull=False).values(
        "organisation_id"
    )
    admins_in_role = User.objects.filter(
        groups__name=TRAINING_ADMIN, organisation__isnull=False
    ).values("organisation_id")
    largest = (
        Organisation.objects.exclude(id__in=admins)
        .exclude(id__in=admins_in_role)
        .filter(children__isnull=True)
        .annotate(people=Count("users"))
        .order_by("-people")
        .first()
    )
    if largest is None:
        stdout.write("No organisation without training admins to purge.")
        return
    try:
        with transaction.atomic():
            with timed() as took:
                receipt = services.organisation_purge(largest, by=None, reason="Benchmark")
            raise Rollback
    except Rollback:
        pass
    yield Measurement(
        f"Purge an organisation of {receipt.people:,} people",
        took["ms"] / 1000,
        "s",
        "≤ 120 s",
        took["queries"],
    )


def bench_erasure(stdout):
    yield from _erase_one(stdout)
    yield from _retention(stdout)
    yield from _purge(stdout)


SECTIONS = {"erasure": bench_erasure}
