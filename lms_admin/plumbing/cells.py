"""One cell of a file, written and read back: how a value is shown, how text a spreadsheet
would run as a formula is neutralised, and how a yes/no cell is read.

Every file the admin writes (report downloads, data exports) shows a value the same way,
and every import reads it back: `display` and `neutralise` here, undone by `unneutralise`
and `read_yes_no`. Files say "Yes" and "No"; imports accept any case of yes/no, y/n,
true/false, 1/0 and x.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

# What a spreadsheet takes as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "Yes", "No"
YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
NO_WORDS = frozenset({"no", "n", "false", "0"})


def display(value):
    """The value as the page shows it: text, a number, or empty; times in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float | Decimal):
        return value
    return str(value)


def display_text(value) -> str:
    """`display`, always as text (numbers too): for messages and previews."""
    shown = display(value)
    return shown if type(shown) is str else str(shown)


def neutralise(value):
    """A text cell a spreadsheet would run as a formula is made plain text with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """`neutralise` undone: the quote our files put before formula-like text comes off."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def cell(value):
    """The value as it goes in a file: what the page shows, made safe for spreadsheets."""
    return neutralise(display(value))


def read_yes_no(text: str) -> bool | None:
    """True or False for a yes/no word in any case, None for anything else."""
    word = text.strip().casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None
