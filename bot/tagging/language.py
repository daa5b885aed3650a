"""The Russian-language machinery: tagger, region resolver and lemmatizer, built together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.models import Region, Topic
from bot.tagging import Lemmatizer, RegionResolver, Tagger


@dataclass(frozen=True, slots=True)
class Language:
    """Built once per process (about a second) and shared; plain objects, no globals."""

    tagger: Tagger
    resolver: RegionResolver
    lemmatizer: Lemmatizer

    @classmethod
    def build(cls, regions: Sequence[Region], topics: Sequence[Topic]) -> Language:
        tagger = Tagger.build(regions=regions, topics=topics)
        return cls(
            tagger=tagger,
            resolver=RegionResolver.build(regions, lexicon=tagger.lexicon),
            lemmatizer=Lemmatizer(),
        )
