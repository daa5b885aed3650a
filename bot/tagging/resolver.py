"""Turning what a user typed («иркутская», «Приангарье», «RU-IRK», «irk») into a region."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.domain.models import Region
from bot.tagging.forms import Inflector, normalize
from bot.tagging.regions import RANK_OFFICIAL, RANK_OFFICIAL_ADJECTIVE, RegionLexicon

_EN_KINDS = (
    " autonomous okrug – yugra", " autonomous okrug", " autonomous oblast", " oblast",
    " krai", " republic", " – kuzbass", "republic of ", "people's republic",
)  # fmt: skip
_SUGGEST_CUTOFF = 0.6


class RegionResolver:
    """Resolves a region from any of its names, forms, abbreviations, capital or code.

    Case-insensitive, «ё» equals «е». Keys are ranked (code and official name first, then
    the official adjective, then nicknames, capitals and abbreviations, then other
    adjectives): the first rank that knows a query decides, and a query that rank
    gives to several regions («Алтай») resolves to nothing but is suggested.
    """

    def __init__(self, lexicon: RegionLexicon) -> None:
        by_code = {region.code: region for region in lexicon.regions}
        ranked: dict[str, tuple[int, set[str]]] = {}

        def add(key: str, rank: int, codes: Sequence[str]) -> None:
            key = normalize(key.strip())
            if not key or not codes:
                return
            old = ranked.get(key)
            if old is None or rank < old[0]:
                ranked[key] = (rank, set(codes))
            elif rank == old[0]:
                old[1].update(codes)

        for region in lexicon.regions:
            for key in (region.code, region.code.split("-", 1)[1], region.name, region.name_en):
                add(key, RANK_OFFICIAL, (region.code,))
            add(_strip_english_kind(region.name_en), RANK_OFFICIAL_ADJECTIVE, (region.code,))
        for alias in lexicon.aliases:
            for form in alias.forms:
                add(form, alias.rank, alias.codes)
        self._regions = by_code
        self._index = {key: tuple(sorted(codes)) for key, (_, codes) in ranked.items()}
        self._keys = tuple(self._index)

    @classmethod
    def build(
        cls,
        regions: Sequence[Region],
        *,
        lexicon: RegionLexicon | None = None,
        inflector: Inflector | None = None,
    ) -> RegionResolver:
        """A resolver over ``regions``; pass a tagger's ``lexicon`` to share its forms."""
        if lexicon is None:
            lexicon = RegionLexicon.build(regions, inflector=inflector)
        return cls(lexicon)

    def resolve(self, query: str) -> Region | None:
        """The one region ``query`` names, or None when unknown or ambiguous."""
        codes = self._index.get(_normal_query(query), ())
        return self._regions[codes[0]] if len(codes) == 1 else None

    def suggest(self, query: str, limit: int = 3) -> tuple[Region, ...]:
        """Up to ``limit`` regions whose names or forms are closest to ``query``."""
        if limit <= 0:
            return ()
        key = _normal_query(query)
        exact = self._index.get(key, ())
        close = difflib.get_close_matches(key, self._keys, n=limit * 4, cutoff=_SUGGEST_CUTOFF)
        result: list[Region] = []
        for codes in (exact, *(self._index[match] for match in close)):
            for code in codes:
                region = self._regions[code]
                if region not in result:
                    result.append(region)
        return tuple(result[:limit])


def _normal_query(query: str) -> str:
    return " ".join(normalize(query).replace("_", "-").split())


def _strip_english_kind(name: str) -> str:
    text = name.lower()
    for suffix in _EN_KINDS:
        text = text.replace(suffix, "")
    return text.strip()
