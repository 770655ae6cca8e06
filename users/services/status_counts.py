"""Writing the status counts the triggers keep (users.models.StatusCount): folding their
rows and counting everyone again. Neither changes anyone's status, so neither takes an
actor or a reason, nor writes history: the counts are a figure derived from the people,
like the figures ledger (reports.ledger_rebuild).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections, transaction

from users.models import StatusCount

logger = logging.getLogger(__name__)


def status_counts_fold(*, using: str = "default") -> None:
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


def status_counts_recount(*, using: str = "default") -> None:
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
