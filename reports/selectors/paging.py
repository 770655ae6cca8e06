"""Keyset paging of the report pages: no OFFSET. Cursors are written by
`lms_admin.plumbing.cursors`, counts capped by `lms_admin.plumbing.counting`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q


def after(moment_field: str, pk_field: str, cursor) -> Q:
    """Rows after the cursor in the order (moment desc, pk desc)."""
    moment, pk = cursor
    if moment is None:
        return Q(**{f"{moment_field}__isnull": True, f"{pk_field}__lt": pk})
    return (
        Q(**{f"{moment_field}__lt": moment})
        | Q(**{moment_field: moment, f"{pk_field}__lt": pk})
        | Q(**{f"{moment_field}__isnull": True})
    )


@dataclass
class Page:
    items: list
    next_cursor: str | None
    total: int
    total_capped: bool
