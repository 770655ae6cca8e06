"""Reads of organisations and users, always narrowed to what the viewer may see.

Ids follow Canvas: a number, or `sis_user_id:X`, `sis_login_id:X` (the username),
`sis_account_id:X`, or `self`. An id that does not parse, does not exist or belongs to
another organisation is the same to the caller: not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import OuterRef, Q, Subquery, Value
from django.http import Http404

from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope, organisation_tree_ids
from users.filters import UserFilter
from users.models import Organisation, User

MAX_ID = 2**63 - 1
USER_ID_KINDS = {"sis_user_id": "sis_user_id", "sis_login_id": "username"}
ACCOUNT_ID_KINDS = {"sis_account_id": "sis_account_id"}


def id_lookup(value, kinds: dict[str, str]) -> dict | None:
    """`"12"` -> {"pk": 12}; `"sis_user_id:A1"` -> {"sis_user_id": "A1"}; else None."""
    text = str(value).strip()
    if "\x00" in text:
        # No id holds a NUL, and PostgreSQL refuses it in a query: not found, not a 500.
        return None
    if text.isascii() and text.isdigit():
        number = int(text)
        return {"pk": number} if 0 < number <= MAX_ID else None
    kind, separator, rest = text.partition(":")
    if separator and kind in kinds and rest:
        return {kinds[kind]: rest}
    return None


def get_or_404(queryset, value, kinds: dict[str, str]):
    lookup = id_lookup(value, kinds)
    if lookup is None:
        raise Http404
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def visible_users(viewer):
    """Everyone in the viewer's scope, and always the viewer (Canvas's `users/self`)."""
    return User.objects.for_user(viewer) | User.objects.filter(pk=viewer.pk)


def user_get(viewer, value):
    if str(value) == "self":
        value = str(viewer.pk)
    return get_or_404(visible_users(viewer), value, USER_ID_KINDS)


def user_lookup(viewer, value) -> dict | None:
    """The filter for a user id given as a parameter (`enrollment[user_id]`, `user_id`)."""
    if str(value) == "self":
        return {"pk": viewer.pk}
    return id_lookup(value, USER_ID_KINDS)


def account_get(viewer, value) -> Organisation:
    if str(value) == "self":
        if not viewer.organisation_id:
            raise Http404
        value = str(viewer.organisation_id)
    return get_or_404(Organisation.objects.for_user(viewer), value, ACCOUNT_ID_KINDS)


def accounts_administered(viewer):
    """Canvas's GET /accounts: the top of what the viewer manages; the rest via sub-accounts."""
    visible = Organisation.objects.for_user(viewer)
    if organisation_scope(viewer) is EVERYTHING:
        return visible.filter(parent__isnull=True).order_by("name", "id")
    return visible.filter(pk=viewer.organisation_id).order_by("name", "id")


def sub_accounts(viewer, account: Organisation, *, recursive: bool):
    visible = Organisation.objects.for_user(viewer)
    if recursive:
        ids = organisation_tree_ids(account.pk) - {account.pk}
        return visible.filter(pk__in=ids).order_by("name", "id")
    return visible.filter(parent=account).order_by("name", "id")


def root_ids(accounts) -> dict[int, int]:
    """Each account's top-level ancestor, one query per level of depth above them."""
    parent_of = {account.pk: account.parent_id for account in accounts}
    unknown = {p for p in parent_of.values() if p and p not in parent_of}
    while unknown:
        rows = dict(Organisation.objects.filter(pk__in=unknown).values_list("id", "parent_id"))
        parent_of.update(rows)
        unknown = {p for p in rows.values() if p and p not in parent_of}
    roots = {}
    for account in accounts:
        current = account.pk
        while parent_of.get(current):
            current = parent_of[current]
        roots[account.pk] = current
    return roots


def account_users(viewer, account: Organisation, filters: dict):
    """Users of an account and its sub-accounts, filtered as the Canvas list is."""
    users = visible_users(viewer).filter(organisation_id__in=organisation_tree_ids(account.pk))
    return UserFilter(filters, queryset=users)


@dataclass(frozen=True)
class HistorySource:
    """A history table that belongs in a user's change log, and how to find their rows."""

    kind: str
    model_path: str  # "app_label.Model"
    user_field: str

    @property
    def history(self):
        return apps.get_model(self.model_path).history.model


# A user's change log: their own rows, and those of their enrolments and memberships.
HISTORY_SOURCES = (
    HistorySource("user", "users.User", "id"),
    HistorySource("enrollment", "enrollments.Enrollment", "user_id"),
    HistorySource("segment_membership", "users.SegmentMembership", "user_id"),
)


@dataclass
class HistoryEntry:
    kind: str
    row: object  # a history row
    previous: object | None  # the same object's version before it, if any


def user_history(user: User):
    """(history_date, history_id, source index) of every change in the user's log, newest
    first: one UNION ALL query, so a page is an OFFSET/LIMIT of it and counts stay capped."""
    parts = [
        source.history.objects.filter(**{source.user_field: user.pk})
        .annotate(log_source=Value(index))
        .values_list("history_date", "history_id", "log_source")
        .order_by()
        for index, source in enumerate(HISTORY_SOURCES)
    ]
    return (
        parts[0].union(*parts[1:], all=True).order_by("-history_date", "-log_source", "-history_id")
    )


def user_history_entries(keys) -> list[HistoryEntry]:
    """The history rows behind a page of `user_history` keys, each with its previous
    version: two queries per table on the page, whatever the page size."""
    wanted: dict[int, list[int]] = {}
    for _, history_id, index in keys:
        wanted.setdefault(index, []).append(history_id)
    found: dict[tuple[int, int], HistoryEntry] = {}
    for index, ids in wanted.items():
        source = HISTORY_SOURCES[index]
        history = source.history
        earlier = history.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        previous_id = earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
        rows = list(
            history.objects.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(previous_id=Subquery(previous_id))
        )
        before = [row.previous_id for row in rows if row.previous_id]
        previous = {row.history_id: row for row in history.objects.filter(history_id__in=before)}
        for row in rows:
            entry = HistoryEntry(source.kind, row, previous.get(row.previous_id))
            found[index, row.history_id] = entry
    return [found[index, history_id] for _, history_id, index in keys]
