"""Tagging articles with the regions and topics they are about.

Public surface::

    tagger = Tagger.build(regions=load_regions(), topics=load_topics())
    tagger.tag("Липецкие экспортеры ...", categories=("Сельское хозяйство",))
    resolver = RegionResolver.build(load_regions(), lexicon=tagger.lexicon)
    resolver.resolve("Приангарье"), resolver.suggest("иркутсая", limit=3)
    Lemmatizer().lemmas("золота добывают")

``Tagger.build`` expands every region name and topic keyword into all its word forms
once (pymorphy3); :meth:`Tagger.tag` then only tokenises with one regex and looks word
n-grams up in dictionaries. Build these objects in the composition root and pass them on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.models import Region, Tags, Topic
from bot.reference import RegionVocabulary
from bot.tagging.forms import Inflector, split_tokens
from bot.tagging.lemmas import Lemmatizer
from bot.tagging.regions import MatchKind, RegionAlias, RegionLexicon, RegionMatcher
from bot.tagging.resolver import RegionResolver
from bot.tagging.topics import TopicMatcher

__all__ = [
    "Inflector",
    "Lemmatizer",
    "MatchKind",
    "RegionAlias",
    "RegionLexicon",
    "RegionResolver",
    "Tagger",
]


class Tagger:
    """Finds the regions and topics a text is about; pure and thread-safe once built."""

    def __init__(
        self, lexicon: RegionLexicon, regions: RegionMatcher, topics: TopicMatcher
    ) -> None:
        self._lexicon = lexicon
        self._regions = regions
        self._topics = topics
        self._hyphenated = regions.hyphenated | topics.hyphenated

    @classmethod
    def build(
        cls,
        *,
        regions: Sequence[Region],
        topics: Sequence[Topic],
        vocabulary: RegionVocabulary | None = None,
        inflector: Inflector | None = None,
    ) -> Tagger:
        """Expand the names of ``regions`` and the keywords of ``topics`` into word forms.

        ``vocabulary`` defaults to ``regions.toml``'s; ``inflector`` (pymorphy3) is
        created when not given and not kept afterwards.
        """
        inflector = inflector if inflector is not None else Inflector()
        lexicon = RegionLexicon.build(regions, vocabulary=vocabulary, inflector=inflector)
        return cls(lexicon, RegionMatcher(lexicon, inflector), TopicMatcher(topics, inflector))

    @property
    def lexicon(self) -> RegionLexicon:
        """The region forms, to share with :meth:`RegionResolver.build`."""
        return self._lexicon

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Forms that two regions claimed alike (tagged as neither); empty for good data."""
        return self._regions.conflicts

    def tag(self, text: str, *, categories: Iterable[str] = ()) -> Tags:
        """Regions (ISO codes) and topics (slugs) of ``text`` and the feed's ``categories``.

        Each category is read on its own, like a separate sentence. Both tuples are sorted
        and free of duplicates.
        """
        regions: set[str] = set()
        topics: set[str] = set()
        for segment in (text, *categories):
            original = self._tokens(segment)
            lowered = tuple(word.lower() for word in original)
            self._regions.find(original, lowered, regions)
            self._topics.find(lowered, topics)
        return Tags(regions=tuple(sorted(regions)), topics=tuple(sorted(topics)))

    def _tokens(self, text: str) -> list[str]:
        """Words as written with «ё» folded; unknown hyphenated words split into parts."""
        tokens: list[str] = []
        for word in split_tokens(text.replace("ё", "е").replace("Ё", "Е")):
            if "-" in word and word.lower() not in self._hyphenated:
                tokens.extend(part for part in word.split("-") if part)
            else:
                tokens.append(word)
        return tokens
