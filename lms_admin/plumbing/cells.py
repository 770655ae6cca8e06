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

# Text a spreadsheet would run as a formula starts with one of these (a tab or carriage
# return before one is still a formula to some programs).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "Yes", "No"
YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
NO_WORDS = frozenset({"no", "n", "false", "0"})

# Escaping, reversibly --------------------------------------------------------------------
#
# A text cell gets a quote (') in front when it starts with a formula start (= + - @), a
# quote, or white space (tab, carriage return, space...), or ends in white space. So a
# spreadsheet never runs it, and an import reads it back exactly: `unneutralise` takes the
# quote off a cell that starts with a quote followed by one of those, or that ends in white
# space, and keeps the rest as it is (not trimmed). A text that itself starts with a quote
# gets a second one ("'=1" is written "''=1"), so it keeps its quote on the way back. A
# quote before anything else is part of the text ("'s-Hertogenbosch"). Files typed by hand
# follow the spreadsheet habit: "'=1+1" imports as the text "=1+1".
QUOTED_FIRST = frozenset("=+-@'")


class Verbatim(str):
    """A cell that was quoted: its text exactly, white space at either end included."""

    __slots__ = ()


def needs_quote(text: str) -> bool:
    return bool(text) and (text[0] in QUOTED_FIRST or text[0].isspace() or text[-1].isspace())


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
    """A text cell a spreadsheet would run as a formula, or that an import would read back
    differently, is made plain text with a quote (see "Escaping, reversibly" above)."""
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """What `neutralise` wrote, back as it was: a `Verbatim` text when it was quoted."""
    if len(text) > 1 and text[0] == "'" and needs_quote(text[1:]):
        return Verbatim(text[1:])
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
