"""What a status word in a file means: built-in words, then the configured ones."""

from __future__ import annotations

import functools

from imports.models import BUILT_IN_WORDS, StatusWord, normalise_word

normalise = functools.lru_cache(maxsize=1024)(normalise_word)


def meanings(applies_to: str) -> dict[str, str]:
    """Normalised word -> status, for one kind of record."""
    words = dict(BUILT_IN_WORDS[applies_to])
    words.update(
        StatusWord.objects.filter(applies_to=applies_to).values_list("normalised", "means")
    )
    return words


def describe(applies_to: str) -> str:
    """The accepted words, for an error message."""
    configured = StatusWord.objects.filter(applies_to=applies_to).values_list("word", flat=True)
    return ", ".join([*BUILT_IN_WORDS[applies_to], *configured[:20]])
