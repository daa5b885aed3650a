"""What a user types to pick a region, and what the bot suggests for a typo."""

from __future__ import annotations

import pytest

from bot.reference import load_regions, load_topics
from bot.tagging import RegionResolver, Tagger


@pytest.fixture(scope="module")
def resolver() -> RegionResolver:
    return RegionResolver.build(load_regions())


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("иркутская", "RU-IRK"),
        ("Иркутская область", "RU-IRK"),
        ("  иркутской   области ", "RU-IRK"),
        ("ИРКУТСКАЯ", "RU-IRK"),
        ("Приангарье", "RU-IRK"),
        ("приангарья", "RU-IRK"),
        ("RU-IRK", "RU-IRK"),
        ("ru-irk", "RU-IRK"),
        ("IRK", "RU-IRK"),
        ("irk", "RU-IRK"),
        ("Иркутск", "RU-IRK"),
        ("Irkutsk Oblast", "RU-IRK"),
        ("irkutsk", "RU-IRK"),
        ("липецкие", "RU-LIP"),
        ("хмао", "RU-KHM"),
        ("ХМАО-Югра", "RU-KHM"),
        ("Югра", "RU-KHM"),
        ("Кузбасс", "RU-KEM"),
        ("Татарстан", "RU-TA"),
        ("Москва", "RU-MOW"),
        ("moscow", "RU-MOW"),
        ("Московская", "RU-MOS"),
        ("Подмосковье", "RU-MOS"),
        ("Владимир", "RU-VLA"),
        ("Питер", "RU-SPE"),
        ("спб", "RU-SPE"),
        ("Республика Алтай", "RU-AL"),
        ("Алтайский край", "RU-ALT"),
        ("алтайский", "RU-ALT"),
        ("Орёл", "RU-ORL"),
        ("орел", "RU-ORL"),
        ("ДНР", "RU-DPR"),
        ("Кабардино-Балкария", "RU-KB"),
        ("Севастополь", "RU-SEV"),
    ],
)
def test_resolve(resolver: RegionResolver, query: str, code: str) -> None:
    region = resolver.resolve(query)
    assert region is not None
    assert region.code == code


@pytest.mark.parametrize("query", ["", "   ", "абракадабра", "Сибирь", "Урал", "RU-XXX"])
def test_unknown_queries_resolve_to_nothing(resolver: RegionResolver, query: str) -> None:
    assert resolver.resolve(query) is None


def test_an_ambiguous_name_resolves_to_nothing_but_suggests_both(
    resolver: RegionResolver,
) -> None:
    assert resolver.resolve("Алтай") is None
    assert {r.code for r in resolver.suggest("Алтай")} == {"RU-AL", "RU-ALT"}


@pytest.mark.parametrize(
    ("typo", "code"),
    [
        ("иркутсая", "RU-IRK"),
        ("Иркуцк", "RU-IRK"),
        ("липецкя область", "RU-LIP"),
        ("Татарстн", "RU-TA"),
        ("Приангарие", "RU-IRK"),
        ("Новосибирк", "RU-NVS"),
    ],
)
def test_a_typo_is_not_resolved_but_suggested_first(
    resolver: RegionResolver, typo: str, code: str
) -> None:
    assert resolver.resolve(typo) is None
    suggestions = resolver.suggest(typo, limit=3)
    assert suggestions[0].code == code
    assert 1 <= len(suggestions) <= 3
    assert len({r.code for r in suggestions}) == len(suggestions)


def test_suggestions_for_gibberish_are_empty(resolver: RegionResolver) -> None:
    assert resolver.suggest("щщщщщщщщ") == ()
    assert resolver.suggest("иркутск", limit=0) == ()


def test_an_exact_query_is_suggested_first(resolver: RegionResolver) -> None:
    assert resolver.suggest("Кузбасс", limit=1)[0].code == "RU-KEM"


def test_a_resolver_can_share_the_taggers_forms() -> None:
    tagger = Tagger.build(regions=load_regions(), topics=load_topics())
    resolver = RegionResolver.build(load_regions(), lexicon=tagger.lexicon)
    region = resolver.resolve("приангарье")
    assert region is not None
    assert region.capital == "Иркутск"
