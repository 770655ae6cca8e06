"""Where a timed change spends its time, statement by statement: what `bench compare` prints
under each bulk deactivation, so that every run says where its seconds went (issue 15 asks
for the profile before any change), without a second, instrumented run.

Statements are grouped by what they write (`UPDATE users_user`, `INSERT INTO
users_historicaluser`, ...) or, when they write nothing, as reads. What is left of the
elapsed time is outside the statements: the commit (Django commits outside `execute`), the
admin's own Python and the template of the page that follows.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The first write of a statement: a ledger's `WITH u AS (...) INSERT INTO ...` counts as the
# INSERT it ends in, and `INSERT ... ON CONFLICT DO UPDATE` as an INSERT.
WRITE = re.compile(
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?", re.IGNORECASE
)
# Words that follow UPDATE where it writes nothing of its own: `ON CONFLICT ... DO UPDATE
# SET` (its INSERT came first) and `SELECT ... FOR UPDATE [OF ...|NOWAIT|SKIP LOCKED]`.
NOT_A_TARGET = {"set", "of", "nowait", "skip"}


def statement_kind(sql: str) -> str:
    """'UPDATE users_user', 'INSERT INTO users_historicaluser', ... or 'reads'."""
    for match in WRITE.finditer(sql):
        verb, table = match.groups()
        if table.lower() in NOT_A_TARGET:
            continue
        return f"{' '.join(verb.upper().split())} {table}"
    return "reads"


class StatementTimes:
    """Seconds and statements per kind, filled while `statement_times()` is open."""

    def __init__(self):
        self.seconds: Counter[str] = Counter()
        self.count: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = statement_kind(sql)
            self.seconds[kind] += time.perf_counter() - started
            self.count[kind] += 1

    def summary(self, elapsed: float, *, shown: int = 4) -> str:
        """e.g. 'UPDATE users_user 6.1 s (3), INSERT INTO ... 0.7 s (3), other SQL 0.1 s,
        outside the statements 1.4 s'. The largest `shown` kinds by name, the rest together."""
        kinds = self.seconds.most_common()
        parts = [f"{kind} {seconds:.2f} s ({self.count[kind]})" for kind, seconds in kinds[:shown]]
        rest = sum(seconds for _, seconds in kinds[shown:])
        if rest:
            parts.append(f"other SQL {rest:.2f} s")
        outside = elapsed - sum(self.seconds.values())
        parts.append(f"outside the statements {max(outside, 0):.2f} s")
        return ", ".join(parts)


@contextmanager
def statement_times() -> Iterator[StatementTimes]:
    """Time every statement this thread's default connection runs while open."""
    times = StatementTimes()
    with connection.execute_wrapper(times):
        yield times
