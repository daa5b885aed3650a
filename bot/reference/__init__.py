"""Reference data shipped with the bot: regions, sections, topics and region aliases.

The data lives in TOML files next to this module and is read with ``importlib.resources``,
so it works from a wheel as well as from a checkout. Loaders are pure: each call reads
the same immutable data (cached with :func:`functools.cache`).

``regions.toml`` holds, besides the :class:`~bot.domain.models.Region` fields, what tagging
needs to recognise a region in text (see :class:`RegionAliases` and :class:`RegionVocabulary`).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.domain.models import Region, Section, Topic

__all__ = [
    "AmbiguousName",
    "RegionAliases",
    "RegionVocabulary",
    "load_region_aliases",
    "load_regions",
    "load_sections",
    "load_topics",
]


@dataclass(frozen=True, slots=True)
class RegionAliases:
    """How texts name one region, beyond its official name and capital.

    The official name (each part of «Кемеровская область — Кузбасс» or «Республика Саха
    (Якутия)») and the capital always count as names, unless listed in ``context_names``.
    """

    code: str
    #: Adjective lemmas that name the region on their own («липецкие экспортеры»).
    adjectives: tuple[str, ...] = ()
    #: Nicknames, other names and large cities; they name the region in any context.
    names: tuple[str, ...] = ()
    #: Names that are also first names, surnames or common words («Владимир», «Киров»,
    #: «Орёл»), or that often mean something else («Москва» for the federal government):
    #: they count only after a locative cue («в», «во», «из», «г.», «города» ...).
    context_names: tuple[str, ...] = ()
    #: Abbreviations, matched case-sensitively («ХМАО», «КБР»).
    abbreviations: tuple[str, ...] = ()
    #: Abbreviations that are also other words («НАО», a non-public joint-stock company).
    context_abbreviations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AmbiguousName:
    """A name shared by several regions («Алтай»): never tagged, offered as suggestions."""

    name: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegionVocabulary:
    """Everything ``regions.toml`` says about naming regions."""

    aliases: tuple[RegionAliases, ...]
    ambiguous: tuple[AmbiguousName, ...]
    #: Phrases that contain a region's word but do not mean the region
    #: («московское время», «Казанский собор»).
    blocked: tuple[str, ...]


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _strings(item: dict[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key, ())
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of strings in {item.get('code', item)!r}")
    return tuple(value)


@functools.cache
def load_regions() -> tuple[Region, ...]:
    """The 89 federal subjects, in the order of ``regions.toml``."""
    return tuple(
        Region(
            code=item["code"],
            name=item["name"],
            name_en=item["name_en"],
            kind=item["kind"],
            federal_district=item["federal_district"],
            timezone=item["timezone"],
            capital=item["capital"],
        )
        for item in _read("regions.toml")["region"]
    )


@functools.cache
def load_region_aliases() -> RegionVocabulary:
    """How texts name the regions: adjectives, nicknames, abbreviations, traps."""
    data = _read("regions.toml")
    aliases = tuple(
        RegionAliases(
            code=item["code"],
            adjectives=_strings(item, "adjectives"),
            names=_strings(item, "names"),
            context_names=_strings(item, "context_names"),
            abbreviations=_strings(item, "abbreviations"),
            context_abbreviations=_strings(item, "context_abbreviations"),
        )
        for item in data["region"]
    )
    ambiguous = tuple(
        AmbiguousName(name=item["name"], codes=_strings(item, "codes"))
        for item in data.get("ambiguous", ())
    )
    return RegionVocabulary(
        aliases=aliases, ambiguous=ambiguous, blocked=_strings(data, "blocked")
    )


@functools.cache
def load_sections() -> tuple[Section, ...]:
    """The sections publishers file news under."""
    return tuple(
        Section(slug=item["slug"], name=item["name"], name_en=item["name_en"])
        for item in _read("sections.toml")["section"]
    )


@functools.cache
def load_topics() -> tuple[Topic, ...]:
    """The industries a reader can follow, with their Russian keyword lemmas."""
    return tuple(
        Topic(
            slug=item["slug"],
            name=item["name"],
            name_en=item["name_en"],
            keywords=_strings(item, "keywords"),
        )
        for item in _read("topics.toml")["topic"]
    )
