"""How many people have each status, from the counts the triggers keep (PostgreSQL).

users.models.StatusCount holds one row per organisation, status and statement that moved
people; the live count is their sum. Reading folds them together once a read finds more
than FOLD_AFTER_ROWS, in its own short transaction: the fold deletes the rows it read and
writes back their sums, so a change committed meanwhile, whose rows it did not see, is
neither lost nor counted twice.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections, transaction

from users.models import StatusCount, UserStatus

logger = logging.getLogger(__name__)

# Summing a few hundred small rows costs a fraction of a millisecond; past this many the
# read folds them (a sign-in adds none; a toggle, two; a bulk change, a few).
FOLD_AFTER_ROWS = 500


def kept_counts_available(using: str) -> bool:
    """Whether the database keeps the counts (PostgreSQL, where the triggers are)."""
    return connections[using].vendor == "postgresql"


def status_counts(organisation_ids: set[int] | None, *, using: str = "default") -> dict:
    """{status: people} among these organisations, exact (everyone, people without an
    organisation too, when `organisation_ids` is None). PostgreSQL only."""
    table = connections[using].ops.quote_name(StatusCount._meta.db_table)
    where, params = "", []
    if organisation_ids is not None:
        where, params = "WHERE organisation_id = ANY(%s)", [sorted(organisation_ids)]
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT status, SUM(n), COUNT(*) FROM {table} {where} GROUP BY status", params
        )
        rows = cursor.fetchall()
    counts = dict.fromkeys(UserStatus.values, 0)
    for status, people, _ in rows:
        if status in counts:  # the same statuses the page counts
            counts[status] = int(people)
    # Not inside someone else's transaction: the fold's locks would last as long as it.
    if sum(row[2] for row in rows) > FOLD_AFTER_ROWS and not connections[using].in_atomic_block:
        fold_status_counts(using=using)
    return counts


def fold_status_counts(*, using: str = "default") -> None:
    """Replace the rows with one per organisation and status (their sums). A courtesy to
    later reads: if it cannot take its locks within a second, it leaves the rows as they
    are."""
    table = connections[using].ops.quote_name(StatusCount._meta.db_table)
    nested = connections[using].in_atomic_block
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            if not nested:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} RETURNING organisation_id, status, n) "
                f"INSERT INTO {table} (organisation_id, status, n) "
                "SELECT organisation_id, status, SUM(n) FROM folded "
                "GROUP BY organisation_id, status HAVING SUM(n) <> 0"
            )
    except DatabaseError:
        logger.warning("Could not fold the status counts", exc_info=True)


def recount_statuses(*, using: str = "default") -> None:
    """Count everyone again from users_user (after data was changed with the triggers
    off, say), while no one changes people."""
    table = connections[using].ops.quote_name(StatusCount._meta.db_table)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("LOCK TABLE users_user IN SHARE MODE")
        # Exclusive, so that a fold running meanwhile cannot put back rows it had taken.
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, status, n) "
            "SELECT COALESCE(organisation_id, 0), status, COUNT(*) FROM users_user GROUP BY 1, 2"
        )
