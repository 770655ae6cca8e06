"""Keyset paging and capped counts: no OFFSET, no full-table COUNT on a page view."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

COUNT_CAP = 1000


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting no further than `cap`; and whether there are more."""
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def encode_cursor(moment, pk) -> str:
    raw = json.dumps([moment.isoformat() if moment else None, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str):
    """(moment, pk) from a cursor, or None when it is not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, pk = json.loads(raw)
        moment = parse_datetime(moment_text) if moment_text else None
        if not isinstance(pk, int) or (moment_text and moment is None):
            return None
        return moment, pk
    except (ValueError, TypeError):
        return None


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
