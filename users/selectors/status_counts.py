"""How many people have each status, from the counts the triggers keep (PostgreSQL).

users.models.StatusCount holds one row per organisation, status and statement that moved
people; the live count is their sum. Reading folds them together once a read finds more
than FOLD_AFTER_ROWS, in its own short transaction: the fold deletes the rows it read and
writes back their sums, so a change committed meanwhile, whose rows it did not see, is
neither lost nor counted twice. The writing itself (the fold, a recount) is in
users.services.status_counts.
"""

from __future__ import annotations

from django.db import connections

from users.models import StatusCount, UserStatus
from users.services.status_counts import status_counts_fold

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
        status_counts_fold(using=using)
    return counts
