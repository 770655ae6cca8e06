"""Counts that stay cheap at a million rows: exact up to a cap, "10,000+" beyond.

Sentry's way: COUNT(*) over a LIMITed subquery, so the database stops reading at the cap.
Several counts go to the database as one statement. A capped count is a number from 0 to
cap + 1: more than the cap means "more than the cap". Each use names its own cap here.
"""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Admin lists, their tabs and bulk pages: "10,000+".
COUNT_CAP = 10_000
# Report pages (the Archived report, the change log): "More than 1000".
REPORT_COUNT_CAP = 1000
# The API's `last` page link: left out beyond this many rows, as Canvas does.
API_LAST_PAGE_CAP = 10_000


def capped_counts(querysets: dict, cap: int | None = None) -> dict:
    """{name: queryset} -> {name: count}, each count at most cap + 1, in one query."""
    cap = COUNT_CAP if cap is None else cap
    if not querysets:
        return {}
    parts, params, counts = [], [], {}
    using = next(iter(querysets.values())).db
    for name, queryset in querysets.items():
        try:
            sql, query_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a .none() queryset: nothing to ask the database
            counts[name] = 0
            continue
        parts.append(f"SELECT %s AS name, COUNT(*) AS n FROM ({sql}) AS capped")
        params += [name, *query_params]
    if parts:
        with connections[using].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            counts.update(dict(cursor.fetchall()))
    return counts


def capped_count(queryset, cap: int | None = None) -> int:
    """How many rows, counting no further than cap + 1 (more than `cap`: there are more)."""
    return capped_counts({"n": queryset}, cap)["n"]


def count_label(count: int, cap: int | None = None) -> str:
    cap = COUNT_CAP if cap is None else cap
    return f"{cap:,}+" if count > cap else f"{count:,}"


class CappedPaginator(Paginator):
    """A paginator whose count stops at the cap (so its last page is the cap's page)."""

    def __init__(self, *args, known_count: int | None = None, cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_count = known_count
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self):
        if self.known_count is not None:
            return self.known_count
        return capped_count(self.object_list, self.cap)

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap
