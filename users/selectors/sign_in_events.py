"""Reads of sign-in and sign-out events: a person's, an account's, and the card's few."""

from __future__ import annotations

from lms_admin.plumbing.scoping import organisation_tree_ids
from users.models import AuthenticationEvent, Organisation, User


def authentication_events_of_user(viewer, user: User):
    return AuthenticationEvent.objects.for_user(viewer).filter(user=user).order_by("-at", "-id")


def authentication_events_of_account(viewer, account: Organisation):
    """Events of people in the account and its sub-accounts, as they were when it happened."""
    return (
        AuthenticationEvent.objects.for_user(viewer)
        .filter(organisation_id__in=organisation_tree_ids(account.pk))
        .order_by("-at", "-id")
    )


def recent_sign_in_events(user: User, *, limit: int = 5) -> list[AuthenticationEvent]:
    return list(AuthenticationEvent.objects.filter(user=user).order_by("-at", "-id")[:limit])
