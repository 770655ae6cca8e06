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

import dataclasses
import re
import time
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import Contains, Exact, GreaterThan
from django.utils.text import smart_split, unescape_string_literal

from users.folding import Fold, fold, folded_contains
from users.models import UserSearch

SEARCHED = ("username", "first_name", "last_name", "email", "sis_user_id")
SEARCH_INDEX = "users_usersearch_text_trgm"
# A search whose words are in at least this share of everyone is "broad": reading people
# in the list's order and keeping those who match finds a page or a capped count sooner
# than the trigram index, which must collect every match before the first is read (a
# fragment found in everyone costs it 10x more than in one person in ten).
BROAD_SHARE = 0.2
SAMPLE_ROWS = 2_000


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


def holds(text, word: str) -> Q:
    """The search text `text` holds `word`, folded, checked on each row read (strpos): a
    form the trigram index cannot serve, so that a word is asked of the index only where
    `candidate_ids` chooses to (`asked_of_index`), never by the planner's own choice. A word
    with no trigram ("an") would make the index read itself whole, and a broad search is
    read in the list's order. The text is stored folded; the fold gives each letter one
    lower-case form (users.folding), so it finds the same people as SQLite."""
    return Q(GreaterThan(StrIndex(text, Fold(Value(word))), 0))


def asked_of_index(text, word: str) -> Q:
    """The search text holds `word`, folded, in the form its trigram index serves: a plain
    LIKE on the text as stored (migration 0027), not UPPER(text) LIKE, which costs three
    times as much on every row a count or a page then reads in turn."""
    return Q(Contains(text, Fold(Value(word))))


# pg_trgm takes a LIKE pattern's trigrams from its runs of letters and digits: a word with
# no run of three gives it none, and the index would be read whole to find nothing sooner.
TRIGRAM = re.compile(r"[^\W_]{3}")


def index_serves(word: str) -> bool:
    """Whether the trigram index can narrow a search for `word` (see `index_key`)."""
    return bool(TRIGRAM.search(fold(index_key(word))))


@dataclass(frozen=True)
class SearchPlan:
    """How to read a search's matches (PostgreSQL), judged before reading any.

    `broad`: by reading people in the list's order rather than through the trigram index.
    `many`: the sample shows clearly more matches than COUNT_CAP (MANY_MARGIN times the
    cap), so they are not first read to see whether they are few enough to list."""

    broad: bool = False
    many: bool = False
    # Whether the search's one word is the SIS ID, email or username of someone among the
    # people looked at (names_someone_exactly); None when that was not asked.
    names_someone: bool | None = dataclasses.field(default=None, compare=False)


# How far past COUNT_CAP a sample's estimate must be before the matches are taken to be
# more than the cap without reading them: a sample of SAMPLE_ROWS rows seldom errs by half.
MANY_MARGIN = 2


def search_plan(words: list[str], *, using: str, among: QuerySet | None = None) -> SearchPlan:
    """Whether the words together match at least BROAD_SHARE of everyone (`broad`), and
    clearly more than COUNT_CAP people (`many`), judged from a sample of about SAMPLE_ROWS
    rows of the search table (PostgreSQL; a few milliseconds), unless the search is the
    SIS ID, email or username of someone `among` the people the viewer may see
    (`names_someone_exactly`; everyone when not given). On a table large enough to sample,
    a search with no word the index can narrow (`index_serves`: "li", "wu") is broad
    whatever its share.
    A wrong guess costs speed, never a wrong answer: both ways find the same people."""
    from lms_admin.plumbing.counting import COUNT_CAP

    connection = connections[using]
    if not words or connection.vendor != "postgresql":
        return SearchPlan()
    table = connection.ops.quote_name(UserSearch._meta.db_table)
    rows = _estimated_rows(using, table)
    if rows < 10 * SAMPLE_ROWS:
        return SearchPlan()  # small enough for the index whatever the words
    if names_someone_exactly(words, using=using, among=among):
        return SearchPlan(names_someone=True)
    share = _sampled_share(words, using=using, table=table, rows=rows)
    return SearchPlan(
        # The index cannot narrow a search for "li" or "wu": reading in order is sooner.
        broad=share >= BROAD_SHARE or not any(index_serves(word) for word in words),
        many=share * rows >= MANY_MARGIN * COUNT_CAP,
        names_someone=False if len(words) == 1 else None,
    )


def _sampled_share(words: list[str], *, using: str, table: str, rows: float) -> float:
    """The share of a sample of about SAMPLE_ROWS rows of the search table holding every
    word (the same pages each time, so the same search is judged the same way)."""
    with connections[using].cursor() as cursor:
        condition = " AND ".join(['"text" LIKE %s'] * len(words))
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE {condition}), COUNT(*) "
            f"FROM {table} TABLESAMPLE SYSTEM (%s) REPEATABLE (0)",
            [
                *(f"%{_like_escaped(fold(word))}%" for word in words),
                100 * SAMPLE_ROWS / rows,
            ],
        )
        matched, sampled = cursor.fetchone()
    return matched / sampled if sampled else 0.0


def is_broad(words: list[str], *, using: str, among: QuerySet | None = None) -> bool:
    """Whether a search reads people in the list's order (see `search_plan`)."""
    return search_plan(words, using=using, among=among).broad


_sizes: dict[str, tuple[float, float]] = {}
SIZE_KEPT_SECONDS = 60


def _estimated_rows(using: str, table: str) -> float:
    """PostgreSQL's estimate of the search table's rows, asked once a minute per process:
    it only decides how big a sample is worth taking."""
    now = time.monotonic()
    kept = _sizes.get(using)
    if kept is None or now - kept[1] > SIZE_KEPT_SECONDS:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        kept = _sizes[using] = (row[0] if row else 0, now)
    return kept[0]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def candidate_ids(words: list[str], *, using: str, broad: bool | None = None) -> QuerySet:
    """The ids of the users whose joined text holds every word, folded (PostgreSQL).

    The text is stored folded, and its trigram index (migration 0027) serves
    `asked_of_index`, a plain LIKE with the word folded once, at planning. Only the words
    the index can narrow (`index_serves`) are asked of it, and only when the search is not
    broad (`is_broad`, asked when `broad` is None); otherwise PostgreSQL reads people in
    the list's order instead. Every other word is checked on the rows read (`holds`)."""
    if broad is None:
        broad = is_broad(words, using=using)
    found = UserSearch.objects.using(using)
    asked = set()
    if not broad:
        for word in filter(index_serves, words):
            found = found.filter(asked_of_index(F("text"), index_key(word)))
            if index_key(word) == word:
                asked.add(word)
    for word in words:
        # A word the index was asked for whole is not checked again: the second condition
        # would halve PostgreSQL's estimate of the matches, and with "walker" it then
        # gathered every match's enrolments before sorting a page (676 ms, not 141).
        if word not in asked:
            found = found.filter(holds(F("text"), word))
    return found.values("user_id")


DIGITS = re.compile(r"\d{4,}")


def index_key(word: str) -> str:
    """The part of `word` the trigram index is asked for; the whole word is then checked on
    the rows it finds. The index reads every trigram's list of rows in full, and the common
    ones ("exa", "mpl", "com" of everyone's email domain) list nearly everyone: an email is
    looked up by what comes before its @, and a word holding a number of 4 digits or more
    by that number, which is usually all but unique."""
    local, at, _ = word.partition("@")
    if at and len(local) >= 3:
        word = local
    digits = max(DIGITS.findall(word), key=len, default="")
    return digits if digits else word


def names_someone_exactly(words: list[str], *, using: str, among: QuerySet | None = None) -> bool:
    """Whether the search is one word that is the SIS ID, email or username of someone
    `among` these people, found from their unique indexes (a fraction of a millisecond).
    Such a search is looked up by the index without sampling first (`is_broad`, a few
    milliseconds): a whole email or ID is not a fragment most people hold. A wrong guess
    costs speed, never a wrong answer. Only the people the viewer may see are looked at,
    so that how fast a search answers says nothing of anyone else."""
    from users.models import User

    if len(words) != 1:
        return False
    people = User.objects.using(using) if among is None else among
    # Read whole, not .exists(): with LIMIT 1 PostgreSQL walks the username index hoping
    # for an early row, and reads everyone when there is none.
    found = people.filter(exact_condition(words[0])).order_by()
    return bool(list(found.values_list("id", flat=True)))


def matching_ids(words: list[str], *, using: str, cap: int, broad: bool) -> list[int] | None:
    """The ids of everyone matching every word (PostgreSQL), in no order, when at most `cap`
    do; None when more do. One read of the search table, stopped at `cap` + 1 rows, by the
    index or by reading it in order, as `broad` (`is_broad`) says is sooner."""
    found = candidate_ids(words, using=using, broad=broad).values_list("user_id", flat=True)
    found = list(found[: cap + 1])
    return found if len(found) <= cap else None


def walking_condition(words: list[str]) -> Q:
    """Every word in the person's search text, checked person by person as a list is read
    in its own order: a correlated subquery, which PostgreSQL cannot turn into a join that
    would collect every match first. For a page of a search that many people match, where
    the page fills within the first few thousand people read."""
    text = Subquery(UserSearch.objects.filter(user_id=OuterRef("pk")).values("text")[:1])
    condition = Q()
    for word in words:
        condition &= holds(text, word) & word_condition(word, indexed=True)
    return condition


def candidates(queryset: QuerySet, words: list[str], *, known: dict | None = None) -> QuerySet:
    """`queryset` narrowed to the search's candidates. When they are few (at most COUNT_CAP),
    as the list of their ids: every later query (tab counts, page, order) then reads those
    rows only, by primary key. When more, as a subquery on the search table, in the form
    `search_plan` chose; when its sample shows many more, they are not read to find out.
    `known` (one per request) keeps the finding for the same words; finding it reads
    `queryset`, so a queryset for a subquery (an OuterRef) needs the finding known."""
    from lms_admin.plumbing.counting import COUNT_CAP

    key = (queryset.db, tuple(words))
    known = {} if known is None else known
    if key not in known:
        plan = search_plan(words, using=queryset.db, among=queryset)
        ids = None
        if not plan.many:
            ids = matching_ids(words, using=queryset.db, cap=COUNT_CAP, broad=plan.broad)
        known[key] = ids if ids is not None else plan.broad
        known[("names someone", *key)] = plan.names_someone
    finding = known[key]
    if isinstance(finding, list):
        return queryset.filter(pk__any_of=finding) if finding else queryset.none()
    return queryset.filter(pk__in=candidate_ids(words, using=queryset.db, broad=finding))


def capped_count_of_large_search(matches: QuerySet, cap: int) -> int:
    """How many of `matches` (a large search, see `candidates`) there are, counting no
    further than cap + 1, read from the search table's side: each match found is looked up
    among the list's people by primary key until the count passes the cap. PostgreSQL's
    estimate of a text search is far too low, so it would otherwise read every match into
    a hash first; joins by hash and merge are turned off for this one statement."""
    from django.db import transaction

    from lms_admin.plumbing.counting import capped_count

    connection = connections[matches.db]
    # SET LOCAL ends with the transaction; inside someone else's, it is undone here.
    nested = connection.in_atomic_block
    with transaction.atomic(using=matches.db):
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
                "SET LOCAL max_parallel_workers_per_gather = 0"
            )
        count = capped_count(matches, cap)
        if nested:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on; "
                    "RESET max_parallel_workers_per_gather"
                )
    return count


def sorted_matches(people: QuerySet, words: list[str], *, start: int, size: int) -> list[int]:
    """Ids start..start + size of `people` matching `words`, in username order, found by
    the index and sorted (PostgreSQL): every match is read, so for a search that is not
    broad. Materialised first, or PostgreSQL would walk the username index instead, which
    is what this is here to avoid."""
    ids = list(candidate_ids(words, using=people.db, broad=False).values_list("user_id", flat=True))
    matched = people.filter(id__any_of=ids)
    for word in words:
        matched = matched.filter(word_condition(word, indexed=True))
    try:
        sql, params = matched.order_by().values("id", "username").query.sql_with_params()
    except EmptyResultSet:
        return []
    with connections[people.db].cursor() as cursor:
        cursor.execute(
            f"WITH m AS MATERIALIZED ({sql}) SELECT id FROM m ORDER BY username, id "
            "LIMIT %s OFFSET %s",
            [*params, size, start],
        )
        return [row[0] for row in cursor.fetchall()]


def is_broad_search(using: str, words: list[str], known: dict) -> bool:
    """Whether `candidates` judged a large search for `words` broad (see `is_broad`)."""
    return known.get((using, tuple(words))) is True


def names_no_one_exactly(using: str, words: list[str], known: dict) -> bool:
    """Whether `candidates`, judging the search for `words`, found that its one word is
    nobody's SIS ID, email or username among the people it looked at (False when that was
    not asked)."""
    return known.get(("names someone", using, tuple(words))) is False


def is_large(queryset: QuerySet, words: list[str], known: dict) -> bool:
    """Whether `candidates` found more than COUNT_CAP people for `words` (see there)."""
    finding = known.get((queryset.db, tuple(words)))
    return finding is not None and not isinstance(finding, list)


def word_condition(word: str, *, indexed: bool) -> Q:
    """Some searched column contains `word`. With `indexed`, the search table has already
    found the candidates (see candidates) and only a phrase needs its columns checked."""
    if indexed and " " not in word:
        return Q()
    return _in_some_column(word)


def users_matching(queryset: QuerySet, term: str, *, known: dict | None = None) -> QuerySet:
    """Users in `queryset` matching every word of `term` in some searched column."""
    return users_matching_words(queryset, search_words(term), known=known)


def users_matching_words(
    queryset: QuerySet, words: list[str], *, known: dict | None = None
) -> QuerySet:
    """Users in `queryset` matching every one of `words` (as `search_words` gives them)."""
    if not words:
        return queryset
    indexed = uses_search_table(queryset)
    if indexed:
        queryset = candidates(queryset, words, known=known)
    for word in words:
        queryset = queryset.filter(word_condition(word, indexed=indexed))
    return queryset


def exact_condition(term: str) -> Q:
    """The people whose SIS ID, email or username is `term` itself, in the forms their
    indexes serve (the email's lower-case index skips empty emails, so the condition does)."""
    term = term.strip()
    return (
        Q(sis_user_id=term)
        | (Q(Exact(Lower("email"), term.lower())) & ~Q(email=""))
        | Q(username__in={term, term.lower()})
    )


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
