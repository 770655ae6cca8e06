"""Searching users by name, username, email and SIS ID, served by one trigram index.

The five searched columns are joined, with a space between them, into one text, and a GIN
trigram index on PostgreSQL covers `UPPER(that text)` (migration 0006), so that a search
word is one index scan and one check per candidate row rather than five of each. A word
without a space can only be found in the joined text inside one of the columns, so
matching the joined text is exactly "some column contains the word"; a quoted phrase with
a space in it is matched column by column, as before, so that it never spans two columns.

`SEARCH_INDEX_SQL` must stay the expression Django compiles for `SearchText` (with the
`::text` that `icontains` adds), or PostgreSQL stops using the index; a test checks that it
does.
"""

from __future__ import annotations

from django.db.models import F, Func, Q, TextField
from django.utils.text import smart_split, unescape_string_literal

SEARCHED = ("username", "first_name", "last_name", "email", "sis_user_id")
SEARCH_INDEX = "users_user_search_trgm"
SEARCH_INDEX_SQL = (
    "UPPER((\"username\" || ' ' || \"first_name\" || ' ' || \"last_name\" || ' ' || "
    "\"email\" || ' ' || COALESCE(\"sis_user_id\", ''))::text)"
)


class SearchText(Func):
    """username, first name, last name, email and SIS ID in one text (see the module)."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = TextField()

    def __init__(self):
        sis_user_id = Func(
            F("sis_user_id"), template="COALESCE(%(expressions)s, '')", output_field=TextField()
        )
        super().__init__(F("username"), F("first_name"), F("last_name"), F("email"), sis_user_id)


def search_words(term: str) -> list[str]:
    """The words of a search as Django's admin splits them: quoted phrases kept whole."""
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def word_condition(word: str) -> Q:
    """Some searched column contains `word` (case-insensitively). Needs the queryset to
    carry `.alias(search_text=SearchText())` (see with_search_text)."""
    condition = Q(search_text__icontains=word)
    if " " in word:
        # The joined text finds the candidates; each column is checked on its own so that
        # a phrase never matches across two of them.
        columns = Q()
        for field in SEARCHED:
            columns |= Q(**{f"{field}__icontains": word})
        condition &= columns
    return condition


def with_search_text(queryset):
    return queryset.alias(search_text=SearchText())


def users_matching(queryset, term: str):
    """Users in `queryset` matching every word of `term` in some searched column."""
    words = search_words(term)
    if not words:
        return queryset
    queryset = with_search_text(queryset)
    for word in words:
        queryset = queryset.filter(word_condition(word))
    return queryset
