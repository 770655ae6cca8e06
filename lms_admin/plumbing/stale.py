"""The one stale-edit check: refuse a change made from a page someone else has changed since.

A page remembers what it was built from and posts it back; the service, once it holds the
row's lock, compares that with the row as it is now:
- `expected_version`: the id of the latest history row the page saw (every change writes
  one, so any change by anyone moves it; see `edit_version`);
- `expected_status`: the status the page showed, for pages that show only that (the switch
  on each row of the users page, where a version per row would cost a query per row).

Either way the refusal is the same `StaleEdit`, with one message naming who changed what and
when, and nothing is saved.
"""

from __future__ import annotations

from django.utils import timezone

from lms_admin.plumbing.errors import DomainError


class StaleEdit(DomainError):
    """Someone else changed the object after the person's page was built; nothing was saved."""

    def __init__(self, instance, latest=None):
        self.instance = instance
        self.latest = latest
        super().__init__(_message(instance, latest))


def edit_version(instance) -> str:
    """The id of the object's latest history row ("" when it has none): what pages post back."""
    found = (
        type(instance)
        .history.filter(**{type(instance)._meta.pk.attname: instance.pk})
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    return "" if found is None else str(found)


def refuse_stale_edit(
    locked, *, expected_version: str | None = None, expected_status: str | None = None
) -> None:
    """Raise StaleEdit when `locked` (the row, locked) is no longer what the page showed.

    Nothing given, nothing checked: a script or an import acting on the row as it is now.
    """
    stale = bool(expected_status) and expected_status != locked.status
    if not stale and expected_version is not None:
        stale = str(expected_version) != edit_version(locked)
    if stale:
        latest = (
            type(locked)
            .history.filter(**{type(locked)._meta.pk.attname: locked.pk})
            .select_related("history_user")
            .order_by("-history_id")
            .first()
        )
        raise StaleEdit(locked, latest)


def _message(instance, latest) -> str:
    name = instance.get_full_name() if hasattr(instance, "get_full_name") else str(instance)
    when = why = by = now = ""
    if latest is not None:
        when = timezone.localtime(latest.history_date).strftime(" at %H:%M on %d %b")
        if latest.history_change_reason:
            why = f" ({latest.history_change_reason})"
        if latest.history_user is not None:
            who = latest.history_user.get_full_name() or latest.history_user.get_username()
            by = f" The change was made by {who}."
    if hasattr(instance, "get_status_display"):
        now = f" They are now {instance.get_status_display()}."
    return (
        f"Someone else changed {name}{when}{why} while you were editing. Nothing was saved."
        f"{by}{now} Look at the latest version and make your change again."
    )
