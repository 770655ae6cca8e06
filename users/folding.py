"""Folding text for search: case and accents, the same on PostgreSQL and SQLite.

Both databases know one SQL function, `lms_fold(text)`: on PostgreSQL it is
`lower(unaccent(text))` with one form of each letter (migrations users 0014 and 0026, which
also store the users' search text folded by it); on SQLite it is `fold` below, registered
on every connection. A search folds
both the searched text and the words with that one function, so "łukasz" finds "Łukasz",
"ZOË" finds "Zoë" and "zoe" finds both, on either database.
"""

from __future__ import annotations

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.lookups import Contains

FOLD_FUNCTION = "lms_fold"

# Letters that Unicode does not decompose into a base letter and an accent, folded as
# PostgreSQL's unaccent folds them.
UNDECOMPOSED = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ħ": "h",
        "Ħ": "H",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "ŀ": "l",
        "Ŀ": "L",
    }
)


# Greek's final sigma is lower case of the same letter as σ: "ΟΔΥΣΣΈΑΣ" must find "Οδυσσέας"
# whichever form lower() gives the last letter (Python's picks by position, PostgreSQL's
# always σ). NFKD already maps the micro sign and Greek's symbol forms (ϐ, ϑ, …), which
# PostgreSQL's lms_fold maps by name (migration users 0026).
FINAL_SIGMA = str.maketrans({"ς": "σ"})


def fold(text: str | None) -> str | None:
    """`text` in lower case without accents (SQLite's `lms_fold`)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSED))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.lower().translate(FINAL_SIGMA)


class Fold(Func):
    function = FOLD_FUNCTION
    output_field = TextField()


def folded_contains(field: str, word: str) -> Q:
    """`field` holds `word`, both folded."""
    return Q(Contains(Fold(F(field)), Fold(Value(word))))


def register_fold_on_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)


connection_created.connect(register_fold_on_sqlite, dispatch_uid="users.folding.sqlite")
