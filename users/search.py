"""Searching users by name, username, email and SIS ID.

A search word matches a user when one of those columns contains it, both folded (lower
case, no accents: users.folding), so that "łukasz" finds "Łukasz" on either database.
On PostgreSQL the candidates come from users_usersearch (users.models.UserSearch): the five
columns joined with a space and folded, one row per user kept by triggers (migration 0008), under a
GIN trigram index, so that a word is one index scan however many columns it may be in.
A word without a space can only be found in the joined text inside one of the columns, so
"the joined text contains the word" is exactly "some column contains it"; a quoted phrase
with a space in it is then checked column by column, so that it never spans two columns.
SQLite has no trigram index: it checks the columns themselves, folded.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.lookups import IContains
from django.utils.text import smart_split, unescape_string_literal

from users.folding import Fold, folded_contains
from users.models import UserSearch

SEARCHED = ("username", "first_name", "last_name", "email", "sis_user_id")
SEARCH_INDEX = "users_usersearch_trgm"


def search_words(term: str) -> list[str]:
    """The words of a search as Django's admin splits them: quoted phrases kept whole."""
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def _in_some_column(word: str) -> Q:
    condition = Q()
    for field in SEARCHED:
        condition |= folded_contains(field, word)
    return condition


def uses_search_table(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def candidate_ids(words: list[str], *, using: str) -> QuerySet:
    """The ids of the users whose joined text holds every word, folded (PostgreSQL).

    The text is stored folded; matching it as UPPER(text) LIKE UPPER(…) is what its trigram
    index was built for (migration 0008), and the word is folded once, at planning."""
    found = UserSearch.objects.using(using)
    for word in words:
        found = found.filter(IContains(F("text"), Fold(Value(word))))
    return found.values("user_id")


def candidates(queryset: QuerySet, words: list[str]) -> QuerySet:
    return queryset.filter(pk__in=candidate_ids(words, using=queryset.db))


def word_condition(word: str, *, indexed: bool) -> Q:
    """Some searched column contains `word`. With `indexed`, the search table has already
    found the candidates (see candidates) and only a phrase needs its columns checked."""
    if indexed and " " not in word:
        return Q()
    return _in_some_column(word)


def users_matching(queryset: QuerySet, term: str) -> QuerySet:
    """Users in `queryset` matching every word of `term` in some searched column."""
    return users_matching_words(queryset, search_words(term))


def users_matching_words(queryset: QuerySet, words: list[str]) -> QuerySet:
    """Users in `queryset` matching every one of `words` (as `search_words` gives them)."""
    if not words:
        return queryset
    indexed = uses_search_table(queryset)
    if indexed:
        queryset = candidates(queryset, words)
    for word in words:
        queryset = queryset.filter(word_condition(word, indexed=indexed))
    return queryset


def search_summary(
    matches: QuerySet, term: str, *, page: tuple | None, limit: int
) -> tuple[dict, list | None] | None:
    """For a search on PostgreSQL: how many of `matches` (already searched for `term`) have
    each status, and, when `page` = (status or None for all, size, offset) is given, the
    ids of that page in the search's order (exact SIS ID, email and username matches
    first, then by username). One read of the matches serves both.

    A trigram index finds the matches, but each must be read from the table to be checked;
    reading them once instead of once per tab and again for the page keeps a search for a
    common name fast. None when there is no search, on SQLite, or when more than `limit`
    match (then the caller counts with a cap and pages as usual).
    """
    term = term.strip()
    connection = connections[matches.db]
    if not term or connection.vendor != "postgresql":
        return None
    exact = Q(sis_user_id=term) | Q(email__iexact=term) | Q(username__iexact=term)
    matched = (
        matches.order_by()
        .annotate(search_rank=Case(When(exact, then=Value(0)), default=Value(1)))
        .values("id", "status", "username", "search_rank")[: limit + 1]
    )
    try:
        sql, params = matched.query.sql_with_params()
    except EmptyResultSet:
        return {}, []
    page_sql, page_params = "NULL", []
    if page is not None:
        status, size, offset = page
        where = "" if status is None else 'WHERE "status" = %s'
        page_sql = (
            f'ARRAY(SELECT "id" FROM matched {where} '
            'ORDER BY "search_rank", "username" LIMIT %s OFFSET %s)'
        )
        page_params = ([] if status is None else [status]) + [size, offset]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH matched AS MATERIALIZED ({sql}) "
            'SELECT (SELECT json_object_agg("status", "n") FROM '
            '(SELECT "status", COUNT(*) AS "n" FROM matched GROUP BY "status") AS tabs), '
            f"{page_sql}",
            [*params, *page_params],
        )
        found, page_ids = cursor.fetchone()
    found = found or {}
    if sum(found.values()) > limit:
        return None
    return found, page_ids
