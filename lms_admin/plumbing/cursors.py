"""Cursors for keyset paging: the position after the last row shown, as a URL-safe token.

A cursor is a short list of values (times, numbers) as JSON in URL-safe base64. Reading
one back checks its shape, so a cursor edited by hand or made for another list reads as
none (the first page) instead of failing.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.utils.dateparse import parse_datetime

# What each value of a cursor is, for `decode_cursor`.
MOMENT = "moment"  # a time
MOMENT_OR_NONE = "moment or none"  # a time, or none (rows with no time sort last)
NUMBER = "number"  # a whole number: an id, a position


def encode_cursor(*values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, shape: tuple[str, ...]) -> tuple | None:
    """The values of a cursor of this shape, or None when it is not one of ours."""
    if not text:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(values, list) or len(values) != len(shape):
            return None
        decoded = []
        for value, kind in zip(values, shape, strict=True):
            if kind == NUMBER:
                if not isinstance(value, int):
                    return None
            elif kind == MOMENT_OR_NONE and not value:
                value = None
            else:
                value = parse_datetime(value)
                if value is None:
                    return None
            decoded.append(value)
        return tuple(decoded)
    except (ValueError, TypeError):
        return None
