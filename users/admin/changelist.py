"""The users list: tab counts, page sizes, search order, and what each row offers.

Each row carries what the person looking may do with it (`row_may_change`,
`row_may_delete`), worked out in the list's own query, so the switch and the row menu only
offer what will be allowed: managers see the switch as a read-only indicator, and a power
user sees no actions on accounts with admin access.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from html import escape

from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import BooleanField, Case, ExpressionWrapper, Q, Value, When
from django.db.models.sql.where import AND, WhereNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

from lms_admin.plumbing.counting import COUNT_CAP, capped_counts
from lms_admin.plumbing.scoping import (
    EVERYTHING,
    admin_account_condition,
    organisation_scope,
    restricted_to_plain_accounts,
)
from users.admin.filters import OrganisationFilter, StatusTabFilter
from users.models import User, UserStatus
from users.search import (
    capped_count_of_large_search,
    exact_condition,
    is_broad_search,
    is_large,
    names_no_one_exactly,
    search_summary,
    search_words,
    sorted_matches,
    walking_condition,
)
from users.selectors.status_counts import kept_counts_available, status_counts

PAGE_SIZES = (25, 50, 100, 200)
STATUS_COLOURS = {"active": "#1a7f37", "inactive": "#9a6700", "deleted": "#cf222e"}
# A search's matches are read once for the tab counts and the page together (PostgreSQL),
# when there are at most this many; beyond, the capped counts and Django's page query.
SEARCH_SUMMARY_LIMIT = COUNT_CAP
# How many people a large search that is not broad reads in order for a page before it
# sorts its matches instead (UserChangeList._large_search_page).
WALK_ROWS = 5_000
# Stands for the id while a row link is reversed once per page, not once per row.
_ID = 918_273_645_546_372_819
_ID_TEXT = str(_ID)


# What every row of one page asks for alike (see rows_of_one_page); None outside one.
_page_constants: ContextVar[dict | None] = ContextVar("users_page_constants", default=None)


@contextmanager
def rows_of_one_page():
    """While one page's rows are written, what is the same for every row (a link's pattern,
    a status's label, a translated text, the time zone) is worked out once, by
    page_constant. Each of them reads request-local state (the script prefix, the URL
    configuration, the language, the time zone), and those reads were a third of a row's
    time."""
    token = _page_constants.set({})
    try:
        yield
    finally:
        _page_constants.reset(token)


def page_constant(key, work_out):
    """work_out(), once per page while rows_of_one_page is on; every time elsewhere."""
    constants = _page_constants.get()
    if constants is None:
        return work_out()
    if key not in constants:
        constants[key] = work_out()
    return constants[key]


@lru_cache(maxsize=128)
def _url_pattern(name: str, prefix: str, urlconf) -> str:
    return reverse(name, args=[_ID], urlconf=urlconf)


def object_url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a numeric id, without reversing for every row: a page
    of 200 users has a thousand links, and reverse() is most of their cost."""
    pattern = page_constant(
        ("url", name), lambda: _url_pattern(name, get_script_prefix(), get_urlconf())
    )
    return pattern.replace(_ID_TEXT, str(pk))


def esc(value) -> str:
    """Django's conditional_escape, with the same output, without its lazy-text wrapper:
    a page of 200 rows escapes thousands of values, and the wrapper is most of the cost.
    The cells built with it are marked safe as SafeString(...), which is what mark_safe
    does with a str, without the same wrapper."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def status_badge(status: str, label: str):
    colour = STATUS_COLOURS.get(status, "#57606a")
    return SafeString(
        f'<span class="status-badge status-{esc(status)}" style="color:{esc(colour)};'
        f'font-weight:600">{esc(label)}</span>'
    )


def searches_known(request) -> dict:
    """What this request's searches found (users.search.candidates), kept for its other
    queries: the list asks for the same search more than once."""
    if not hasattr(request, "_user_searches"):
        request._user_searches = {}
    return request._user_searches


# One field for every flag: a model field's constructor (its choices, its validators) was
# about a third of building these annotations, sampled on the users page.
_FLAG = BooleanField()


def row_permissions(model_admin, request) -> dict:
    """Annotations saying, per row, whether the person may change or delete that account."""

    def flag(allowed: bool):
        if not allowed:
            return Value(False, output_field=_FLAG)
        if restricted_to_plain_accounts(request.user):
            return ExpressionWrapper(~admin_account_condition(), output_field=_FLAG)
        return Value(True, output_field=_FLAG)

    return {
        "row_may_change": flag(model_admin.has_change_permission(request)),
        "row_may_delete": flag(model_admin.has_lifecycle_delete_permission(request)),
    }


class UserChangeList(ChangeList):
    """The users list, with the Active / Inactive / Deleted / All tab counts worked out from
    the same filters and search, in one capped query, and a page size people can choose."""

    def __init__(self, request, *args, **kwargs):
        chosen = request.GET.get("per_page", "")
        self.page_sizes = PAGE_SIZES
        if chosen.isdigit() and int(chosen) in PAGE_SIZES:
            # ModelAdmin passes list_per_page as the eighth positional argument after request.
            args = list(args)
            args[7] = int(chosen)
        super().__init__(request, *args, **kwargs)

    def get_results(self, request):
        super().get_results(request)
        page_ids = getattr(self, "page_ids", None)
        # Only the columns the rows show: a person has twenty, and reading the rest (the
        # password hashes, five more dates) was a third of fetching a page.
        columns = self.model_admin.list_row_fields
        if page_ids is not None and not (self.show_all and self.can_show_all):
            # The search summary already picked this page's rows, in the list's order.
            rows = {row.pk: row for row in self.queryset.filter(pk__in=page_ids).only(*columns)}
            self.result_list = [rows[pk] for pk in page_ids if pk in rows]
        else:
            self.result_list = self.result_list.only(*columns)
        # Django adds the list's filters to each row's link through add_preserved_filters,
        # which resolves the link again for every row; url_for_result adds them itself, the
        # same query string built once (see ModelAdmin.get_preserved_filters).
        self.row_link_query = self.preserved_filters
        self.preserved_filters = ""

    def url_for_result(self, result):
        url = object_url("admin:users_user_change", result.pk)
        query = getattr(self, "row_link_query", "")
        return f"{url}?{query}" if query else url

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop("per_page", None)
        return lookup_params

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if exclude_parameters is None:
            base = super().get_queryset(request, exclude_parameters=["status"])
            words = search_words(self.query)
            summary = None
            large = bool(words) and is_large(base, words, searches_known(request))
            if large and organisation_scope(request.user) is not EVERYTHING:
                # Large among everyone says nothing of how many match among the people
                # this viewer may see; shown as large, it would tell a power user that
                # other organisations hold many matches. Their own are counted first.
                summary = self._search_summary(base)
                large = summary is None
            if large:
                self._known = searches_known(request)
                self.tab_counts = self._large_search(base, request._users_unsearched, words)
            else:
                self.tab_counts = (
                    summary or self._search_summary(base) or self._capped_tab_counts(base, request)
                )
            request._users_tab_counts = self.tab_counts
            queryset = queryset.annotate(**row_permissions(self.model_admin, request))
        return queryset

    def _capped_tab_counts(self, base, request) -> dict:
        """Each status tab's count, capped, in one query. The statuses split the users, so
        All is their sum (beyond the cap when any of them is)."""
        counts = self._kept_tab_counts(base, request)
        if counts is None:
            counts = capped_counts(
                {status: base.filter(status=status) for status in UserStatus.values}
            )
        total = sum(counts.values())
        if any(count > COUNT_CAP for count in counts.values()):
            total = COUNT_CAP + 1
        counts[StatusTabFilter.ALL] = min(total, COUNT_CAP + 1)
        return counts

    def _kept_tab_counts(self, base, request) -> dict | None:
        """The tab counts from the counts the database keeps (users.selectors.status_counts),
        capped as counted ones are, when the list shows everyone the viewer may see, or one
        organisation of theirs: then nothing but the scope and that organisation narrows it,
        which the list's own conditions, compared whole, must show. None otherwise (a
        search, any other filter, SQLite): the people are counted."""
        if self.query.strip() or not kept_counts_available(base.db):
            return None
        everyone = self.root_queryset
        organisations = organisation_scope(request.user)
        conditions = _conditions(base)
        if conditions is None:
            return None
        if conditions != _conditions(everyone):
            chosen = self.params.get(OrganisationFilter.parameter_name)
            chosen = chosen[-1] if isinstance(chosen, list) else chosen
            if not (chosen and chosen.isdigit()):
                return None
            if conditions != _conditions(everyone.filter(organisation_id=int(chosen))):
                return None
            organisations = {int(chosen)}
        counts = status_counts(organisations, using=base.db)
        return {status: min(count, COUNT_CAP + 1) for status, count in counts.items()}

    def _large_search(self, base, unsearched, words) -> dict:
        """A search that more than COUNT_CAP people match (PostgreSQL): its cost must not
        grow with the number of matches. Only the current tab is counted, capped; the other
        tabs show no number. This page's ids: exact SIS ID, email and username matches
        first (from their unique indexes), then the rest in username order, read in that
        order and stopped at the page's end (users.search.search_plan chose how)."""
        tab = self._current_tab()
        shown = base if tab == StatusTabFilter.ALL else base.filter(status=tab)
        counts = dict.fromkeys([*UserStatus.values, StatusTabFilter.ALL])
        counts[tab] = capped_count_of_large_search(shown, COUNT_CAP)
        if ORDER_VAR not in self.params:
            size, offset = self.list_per_page, (self.page_num - 1) * self.list_per_page
            if tab != StatusTabFilter.ALL:
                unsearched = unsearched.filter(status=tab)
            exact = self._exact_matches(unsearched, words, offset + size)
            start = max(0, offset - len(exact))
            rest = self._large_search_page(shown, unsearched, words, exact, start, size)
            self.page_ids = (exact[offset:] + rest)[:size]
        return counts

    def _exact_matches(self, unsearched, words, limit) -> list[int]:
        """The first `limit` of the people whose SIS ID, email or username is the search
        itself, by username: looked up by their unique indexes, unless judging the search
        already found nobody so named among the people listed (the search is its one word)."""
        one_word = words == [self.query.strip()]
        if one_word and names_no_one_exactly(unsearched.db, words, self._known):
            return []
        exact_ids = list(
            User.objects.filter(exact_condition(self.query)).values_list("id", flat=True)
        )
        if not exact_ids:
            return []
        return list(
            unsearched.filter(id__any_of=exact_ids)
            .order_by("username")
            .values_list("id", flat=True)[:limit]
        )

    def _large_search_page(self, shown, unsearched, words, exact, start, size) -> list[int]:
        """Ids start..start + size of a large search's matches in username order, exact
        matches left out. People are read in that order and checked one by one, which fills
        a page within the first few hundred when matches are common. When they come later
        in the order (say, a large import of other names sorts first), a search that is not
        broad stops after WALK_ROWS people and sorts its matches instead, which the index
        finds at a cost that grows with them; a broad one reads on, since sorting a fifth
        of everyone or more costs more than reading past the others."""
        walked = unsearched.exclude(id__any_of=exact).order_by("username")
        bound = None
        if not is_broad_search(shown.db, words, self._known):
            bound = walked.values_list("username", flat=True)[WALK_ROWS : WALK_ROWS + 1].first()
        window = walked if bound is None else walked.filter(username__lte=bound)
        found = list(
            window.filter(walking_condition(words)).values_list("id", flat=True)[
                start : start + size
            ]
        )
        if len(found) < size and bound is not None:
            found = sorted_matches(walked, words, start=start, size=size)
        return found

    def _current_tab(self) -> str:
        chosen = self.params.get(StatusTabFilter.parameter_name) or UserStatus.ACTIVE
        chosen = chosen[-1] if isinstance(chosen, list) else chosen
        if chosen != StatusTabFilter.ALL and chosen not in UserStatus.values:
            return UserStatus.ACTIVE  # as StatusTabFilter shows
        return chosen

    def _search_summary(self, base) -> dict | None:
        """For a search on PostgreSQL, exact tab counts and this page's ids from one read
        of the matches (users.search.search_summary); None otherwise, and the capped
        counts and Django's page query are used instead."""
        # The page's ids only in the list's default order when searching (get_ordering).
        page = None
        if ORDER_VAR not in self.params:
            tab = self._current_tab()
            page = (
                None if tab == StatusTabFilter.ALL else tab,
                self.list_per_page,
                (self.page_num - 1) * self.list_per_page,
            )
        summary = search_summary(base, self.query, page=page, limit=SEARCH_SUMMARY_LIMIT)
        if summary is None:
            return None
        found, page_ids = summary
        if page_ids is not None:
            self.page_ids = page_ids
        counts = {status: found.get(status, 0) for status in UserStatus.values}
        counts[StatusTabFilter.ALL] = sum(found.values())
        return {name: min(count, COUNT_CAP + 1) for name, count in counts.items()}

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        term = self.query.strip()
        if term:
            # Exact SIS ID, email and username matches first.
            exact = Q(sis_user_id=term) | Q(email__iexact=term) | Q(username__iexact=term)
            return [Case(When(exact, then=Value(0)), default=Value(1)).asc(), *ordering]
        return ordering


def _conditions(queryset) -> frozenset | None:
    """The conditions a queryset's rows must all meet, as a set: the same condition applied
    twice (the scope, by the admin and by the list) is one. None if one cannot be compared."""
    query = queryset.query
    if query.combinator or query.is_sliced or query.distinct_fields or query.extra_tables:
        return None  # narrowed outside its conditions
    found = set()

    def gather(node):
        if isinstance(node, WhereNode) and node.connector == AND and not node.negated:
            for child in node.children:
                gather(child)
        else:
            found.add(node)

    try:
        gather(query.where)
        return frozenset(found)
    except TypeError:  # a condition that cannot be hashed: not compared, so not assumed
        return None


def active_switch(obj, *, may_change: bool | None = None):
    """The Active/Inactive switch of a users page row or of the user card (toggle.js opens
    its dialog). `may_change` defaults to what the row's query worked out."""
    if obj.status == UserStatus.DELETED:
        return ""
    checked = "true" if obj.status == UserStatus.ACTIVE else "false"
    label = f"Active: {esc(obj.username)}"
    if may_change is None:
        may_change = getattr(obj, "row_may_change", False)
    if not may_change:
        # A status indicator, not a control: nothing to click for people who may not.
        return SafeString(
            f'<span class="lifecycle-switch readonly" role="switch" aria-checked="{checked}" '
            f'aria-disabled="true" aria-label="{label}" title="You cannot '
            'change this account"><span class="track"><span class="thumb"></span></span></span>'
        )
    url = esc(object_url("admin:users_user_toggle", obj.pk))
    return SafeString(
        f'<a class="lifecycle-switch" role="switch" aria-checked="{checked}" '
        f'aria-label="{label}" href="{url}" data-url="{url}" '
        f'data-name="{esc(obj.get_full_name())}" data-status="{esc(obj.status)}" '
        f'data-email="{"yes" if obj.email else ""}"><span class="track"><span class="thumb">'
        "</span></span></a>"
    )


def row_menu(obj):
    may_change = bool(getattr(obj, "row_may_change", False))
    may_delete = bool(getattr(obj, "row_may_delete", False))
    shape = (may_change, may_delete, obj.status, obj.anonymised_at is None)
    # Rows of one shape have the same links but for the id (see rows_of_one_page).
    items = page_constant(("row menu", shape), lambda: _row_menu_items(*shape))
    return SafeString(
        f'<details class="row-menu"><summary aria-label="Actions for {esc(obj.username)}">⋯'
        f"</summary><ul>{items.replace(_ID_TEXT, str(obj.pk))}</ul></details>"
    )


def _row_menu_items(may_change: bool, may_delete: bool, status: str, erasable: bool) -> str:
    """The row menu's links, with _ID standing for the person's id."""
    links = [
        (
            "View/Edit user details" if may_change else "View user details",
            object_url("admin:users_user_change", _ID),
        ),
        ("History", object_url("admin:users_user_history", _ID)),
    ]
    if may_change and status == UserStatus.ACTIVE:
        links.append(("Reset password", object_url("admin:users_user_reset_password", _ID)))
    if may_delete and status == UserStatus.DELETED:
        links.append(("Undelete", object_url("admin:users_user_undelete", _ID)))
    elif may_delete:
        links.append(("Delete", object_url("admin:users_user_remove", _ID)))
    # Shown to whoever may change the row (never managers); the page checks the role.
    if may_change and erasable:
        links.append(("Erase personal data", object_url("admin:users_user_erase", _ID)))
    return "".join(f'<li><a href="{esc(url)}">{esc(text)}</a></li>' for text, url in links)
