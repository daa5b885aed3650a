"""Lemmas for morphology-aware search («золота добывают» → «золото добывать»)."""

from __future__ import annotations

import functools

import pymorphy3

from bot.tagging.forms import WORD_PATTERN, normalize

DEFAULT_CACHE_SIZE = 50_000


class Lemmatizer:
    """pymorphy3's most likely lemma of each word, lowercase with «ё» as «е».

    Each instance keeps a bounded LRU cache of word → lemma, so repeated words
    (the common case in news) cost one dictionary look-up.
    """

    def __init__(
        self,
        morph: pymorphy3.MorphAnalyzer | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._morph = morph if morph is not None else pymorphy3.MorphAnalyzer()
        self.lemma = functools.lru_cache(maxsize=cache_size)(self._lemma)

    def _lemma(self, word: str) -> str:
        """The lemma of one normalised word."""
        parses = self._morph.parse(word)
        return normalize(parses[0].normal_form) if parses else word

    def lemmas(self, text: str) -> tuple[str, ...]:
        """The lemma of every word of ``text``, in order (punctuation dropped)."""
        return tuple(
            self.lemma(normalize(word)) for word in WORD_PATTERN.findall(text) if word[0].isalnum()
        )
