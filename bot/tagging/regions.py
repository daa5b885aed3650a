"""Region names expanded into word forms (:class:`RegionLexicon`) and found in text.

The lexicon is built once with pymorphy3; :class:`RegionMatcher` then finds regions by
dictionary look-ups of word n-grams, longest first, with no morphology on the hot path.

How a match counts depends on its :class:`MatchKind`:

- ``NAME`` («Иркутская область», «Приангарье», «ХМАО», «Иркутск») always tags;
- ``ADJECTIVE`` («липецкие») tags unless a street word is next to it («Тверская улица»,
  «ул. Тверская») or it follows a capitalised first name mid-sentence («Александр
  Смоленский»);
- ``CONTEXT`` («Москва», «Владимир», «Киров») tags only after a locative cue («в»,
  «во», «из», «до», «г.», «города», «мэр», «правительство» ...);
- ``BLOCK`` (ambiguous «Алтай», blocked «московское время») takes its words and tags
  nothing.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from bot.domain.models import Region
from bot.reference import RegionAliases, RegionVocabulary, load_region_aliases
from bot.tagging.forms import BOUNDARY, LITERAL_SEPARATOR, Inflector, forms_of_all, normalize


class MatchKind(IntEnum):
    """How a form found in text counts (lower values win when two aliases share a form)."""

    BLOCK = 0
    NAME = 1
    ADJECTIVE = 2
    CONTEXT = 3
    RESOLVE_ONLY = 4  # known to the resolver, never tagged (the official adjective)


#: Resolver priorities: the first rank where a query is known decides.
RANK_OFFICIAL = 0
RANK_OFFICIAL_ADJECTIVE = 1
RANK_NAME = 2
RANK_ADJECTIVE = 3


@dataclass(frozen=True, slots=True)
class RegionAlias:
    """One way of naming one region (or, for BLOCK, several or none), with all its forms."""

    codes: tuple[str, ...]
    kind: MatchKind
    rank: int
    written: str  # as in regions.toml (first form of a literal list)
    forms: frozenset[str]  # normalised, space-separated words
    case_sensitive: bool = False  # abbreviations: forms keep their case


_LOCATIVE_CUES = ("в", "во", "из", "до", "г", "гор")
_CUE_NOUNS = ("город", "мэр", "мэрия", "правительство", "администрация")
_STREET_ABBREVIATIONS = ("ул", "пр", "пл", "пер", "наб", "просп", "пр-т", "б-р", "м")
_STREET_NOUNS = (
    "улица", "проспект", "площадь", "переулок", "шоссе", "бульвар", "набережная", "проезд",
    "тупик", "аллея", "вокзал", "застава", "тракт", "метро", "станция",
)  # fmt: skip
_PREPOSITIONS = frozenset({
    "в", "во", "на", "из", "с", "со", "у", "к", "ко", "по", "о", "об", "от", "для", "до",
    "за", "под", "при", "над", "перед", "между", "без",
})  # fmt: skip
_REPUBLIC = "республика"
_NAME_PARTS = re.compile(r"\s+[—–-]\s+")
_PARENTHESES = re.compile(r"(.*?)\s*\((.+)\)")


def official_parts(name: str) -> tuple[str, ...]:
    """«Кемеровская область — Кузбасс» → («Кемеровская область», «Кузбасс»); «Республика
    Саха (Якутия)» → («Республика Саха», «Якутия»)."""
    parts: list[str] = []
    for chunk in _NAME_PARTS.split(name):
        inner = _PARENTHESES.fullmatch(chunk)
        parts.extend(inner.groups() if inner else (chunk,))
    return tuple(part.strip() for part in parts if part.strip())


def _first_form(phrase: str) -> str:
    return normalize(phrase.split(LITERAL_SEPARATOR, 1)[0].strip())


def _exact_forms(phrase: str) -> frozenset[str]:
    forms = {p.strip().replace("ё", "е").replace("Ё", "Е") for p in phrase.split("|")}
    return frozenset(forms | {form.upper() for form in forms} - {""})


@dataclass(frozen=True, slots=True)
class RegionLexicon:
    """Every alias of every region with its word forms: shared by tagger and resolver."""

    regions: tuple[Region, ...]
    aliases: tuple[RegionAlias, ...]

    @classmethod
    def build(
        cls,
        regions: Sequence[Region],
        *,
        vocabulary: RegionVocabulary | None = None,
        inflector: Inflector | None = None,
    ) -> RegionLexicon:
        vocabulary = vocabulary if vocabulary is not None else load_region_aliases()
        inflector = inflector if inflector is not None else Inflector()
        by_code = {item.code: item for item in vocabulary.aliases}
        known = {region.code for region in regions}
        aliases: list[RegionAlias] = []
        for region in regions:
            spec = by_code.get(region.code, RegionAliases(code=region.code))
            aliases.extend(_region_aliases(region, spec, inflector))
        for ambiguous in vocabulary.ambiguous:
            codes = tuple(code for code in ambiguous.codes if code in known)
            forms = inflector.forms(ambiguous.name)
            aliases.append(RegionAlias(codes, MatchKind.BLOCK, RANK_NAME, ambiguous.name, forms))
        for phrase in vocabulary.blocked:
            forms = inflector.forms(phrase)
            aliases.append(RegionAlias((), MatchKind.BLOCK, RANK_NAME, phrase, forms))
        return cls(regions=tuple(regions), aliases=tuple(aliases))


def _region_aliases(
    region: Region, spec: RegionAliases, inflector: Inflector
) -> Iterable[RegionAlias]:
    codes = (region.code,)
    in_context = {_first_form(name) for name in spec.context_names}
    named = {_first_form(name) for name in spec.names} | in_context
    parts = official_parts(region.name)
    for part in parts:
        kind = MatchKind.CONTEXT if normalize(part) in in_context else MatchKind.NAME
        yield RegionAlias(codes, kind, RANK_OFFICIAL, part, inflector.forms(part))
        named.add(normalize(part))
        head, _, rest = part.partition(" ")
        if normalize(head) == _REPUBLIC and rest:  # «Республика Татарстан» → «Татарстан»
            yield RegionAlias(codes, MatchKind.NAME, RANK_NAME, rest, inflector.forms(rest))
    first_word = parts[0].split()[0]
    if inflector.is_adjective(first_word):
        forms = inflector.forms(first_word)
        yield RegionAlias(
            codes, MatchKind.RESOLVE_ONLY, RANK_OFFICIAL_ADJECTIVE, first_word, forms
        )
    if normalize(region.capital) not in named:
        forms = inflector.forms(region.capital)
        yield RegionAlias(codes, MatchKind.NAME, RANK_NAME, region.capital, forms)
    for name in spec.names:
        forms = inflector.forms(name)
        yield RegionAlias(codes, MatchKind.NAME, RANK_NAME, _first_form(name), forms)
    for name in spec.context_names:
        forms = inflector.forms(name)
        yield RegionAlias(codes, MatchKind.CONTEXT, RANK_NAME, _first_form(name), forms)
    for adjective in spec.adjectives:
        forms = inflector.forms(adjective)
        yield RegionAlias(codes, MatchKind.ADJECTIVE, RANK_ADJECTIVE, adjective, forms)
    for kind, abbreviations in (
        (MatchKind.NAME, spec.abbreviations),
        (MatchKind.CONTEXT, spec.context_abbreviations),
    ):
        for abbreviation in abbreviations:
            written = abbreviation.split(LITERAL_SEPARATOR, 1)[0]
            forms = _exact_forms(abbreviation)
            yield RegionAlias(codes, kind, RANK_NAME, written, forms, case_sensitive=True)


_K = TypeVar("_K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class _Entry:
    codes: tuple[str, ...]
    kind: MatchKind
    length: int  # words


class RegionMatcher:
    """Finds regions in tokenised text by n-gram look-ups in precomputed dictionaries."""

    def __init__(self, lexicon: RegionLexicon, inflector: Inflector) -> None:
        self._words: dict[str, _Entry] = {}
        self._phrases: dict[tuple[str, ...], _Entry] = {}
        self._longest: dict[str, int] = {}
        self._exact: dict[str, _Entry] = {}
        self._conflicts: list[str] = []
        for alias in lexicon.aliases:
            if alias.kind is MatchKind.RESOLVE_ONLY:
                continue
            for form in alias.forms:
                words = tuple(form.split())
                entry = _Entry(alias.codes, alias.kind, len(words))
                if alias.case_sensitive:
                    self._add(self._exact, form, entry)
                elif len(words) == 1:
                    self._add(self._words, form, entry)
                else:
                    self._add(self._phrases, words, entry)
                    self._longest[words[0]] = max(self._longest.get(words[0], 0), len(words))
        keys = [*self._words, *(w for k in self._phrases for w in k), *map(str.lower, self._exact)]
        self.hyphenated = frozenset(key for key in keys if "-" in key)
        self._cues = frozenset(_LOCATIVE_CUES) | forms_of_all(inflector, _CUE_NOUNS)
        self._streets = frozenset(_STREET_ABBREVIATIONS) | forms_of_all(inflector, _STREET_NOUNS)

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Forms two aliases of different regions claimed with the same kind (now BLOCK)."""
        return tuple(self._conflicts)

    def _add(self, table: dict[_K, _Entry], key: _K, entry: _Entry) -> None:
        old = table.get(key)
        if old is None or entry.kind < old.kind:
            table[key] = entry
        elif entry.kind == old.kind and entry.codes != old.codes:
            if entry.kind is not MatchKind.BLOCK:
                self._conflicts.append(f"{key}: {old.codes} / {entry.codes}")
            codes = tuple(sorted({*old.codes, *entry.codes}))
            table[key] = _Entry(codes, MatchKind.BLOCK, entry.length)

    def find(self, original: Sequence[str], lowered: tuple[str, ...], found: set[str]) -> None:
        """Add to ``found`` the codes of the regions named in the tokens."""
        count = len(lowered)
        i = 0
        while i < count:
            entry = self._exact.get(original[i])
            if entry is None:
                entry = self._lookup(lowered, i, count)
                if entry is None:
                    i += 1
                    continue
            if self._counts(entry, original, lowered, i):
                found.update(entry.codes)
            i += entry.length

    def _counts(
        self, entry: _Entry, original: Sequence[str], lowered: tuple[str, ...], i: int
    ) -> bool:
        if entry.kind is MatchKind.NAME:
            return True
        if entry.kind is MatchKind.ADJECTIVE:
            return self._adjective_counts(original, lowered, i, entry.length)
        if entry.kind is MatchKind.CONTEXT:
            return self._previous(lowered, i) in self._cues
        return False

    def _lookup(self, lowered: tuple[str, ...], i: int, count: int) -> _Entry | None:
        longest = self._longest.get(lowered[i], 0)
        for size in range(min(longest, count - i), 1, -1):
            entry = self._phrases.get(lowered[i : i + size])
            if entry is not None:
                return entry
        return self._words.get(lowered[i])

    @staticmethod
    def _previous(lowered: tuple[str, ...], i: int) -> str:
        """The word before position ``i``, looking past one abbreviation dot («г. Москва»)."""
        j = i - 1
        if j > 0 and lowered[j] == BOUNDARY:
            j -= 1
        return lowered[j] if j >= 0 else ""

    def _adjective_counts(
        self, original: Sequence[str], lowered: tuple[str, ...], i: int, length: int
    ) -> bool:
        after = i + length
        if after < len(lowered) and lowered[after] in self._streets:
            return False
        if self._previous(lowered, i) in self._streets:
            return False
        return not _after_first_name(original, lowered, i)


def _is_title(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def _after_first_name(original: Sequence[str], lowered: tuple[str, ...], i: int) -> bool:
    """«Александр Смоленский», «А. Смоленский»: a capitalised adjective after a name.

    Mid-sentence, only proper names are capitalised; a region adjective capitalised right
    after another capitalised word (not a preposition) is a surname. Company names in
    quotes («Акции «Пермской корпорации»») have a quote, hence a boundary, before them.
    """
    if i == 0 or not _is_title(original[i]):
        return False
    before = original[i - 1]
    if before == BOUNDARY:  # an initial: «А. Смоленский»
        return i >= 2 and len(original[i - 2]) == 1 and original[i - 2].isupper()
    return _is_title(before) and lowered[i - 1] not in _PREPOSITIONS
