"""Reads of organisations and users, always narrowed to what the viewer may see.

Ids follow Canvas: a number, or `sis_user_id:X`, `sis_login_id:X` (the username),
`sis_account_id:X`, or `self`. An id that does not parse, does not exist or belongs to
another organisation is the same to the caller: not found.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404

from users.filters import UserFilter
from users.models import Organisation, User, UserStatus
from users.scoping import EVERYTHING, organisation_scope, organisation_tree_ids

MAX_ID = 2**63 - 1
USER_ID_KINDS = {"sis_user_id": "sis_user_id", "sis_login_id": "username"}
ACCOUNT_ID_KINDS = {"sis_account_id": "sis_account_id"}


def id_lookup(value, kinds: dict[str, str]) -> dict | None:
    """`"12"` -> {"pk": 12}; `"sis_user_id:A1"` -> {"sis_user_id": "A1"}; else None."""
    text = str(value).strip()
    if text.isdigit():
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


def user_history(user: User):
    return (
        User.history.filter(id=user.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def archived_users(viewer, account: Organisation):
    """The Archived report: inactive users, whose learning records analytics leaves out."""
    return (
        visible_users(viewer)
        .filter(
            organisation_id__in=organisation_tree_ids(account.pk),
            status=UserStatus.INACTIVE,
        )
        .order_by("-status_changed_at", "-id")
    )


def enrollment_state_counts(user_ids) -> dict[int, dict[str, int]]:
    from enrollments.models import Enrollment

    counts: dict[int, dict[str, int]] = {user_id: {} for user_id in user_ids}
    rows = (
        Enrollment.objects.filter(user_id__in=user_ids)
        .order_by()
        .values("user_id", "state")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["user_id"]][row["state"]] = row["n"]
    return counts
