"""The shipped reference data: regions, sections, topics and the region vocabulary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reference import load_region_aliases, load_regions, load_sections, load_topics

KINDS = {
    "область",
    "край",
    "республика",
    "город федерального значения",
    "автономный округ",
    "автономная область",
}
DISTRICTS = {
    "Центральный",
    "Северо-Западный",
    "Южный",
    "Северо-Кавказский",
    "Приволжский",
    "Уральский",
    "Сибирский",
    "Дальневосточный",
}
WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)


def test_there_are_exactly_89_regions_with_unique_codes() -> None:
    codes = [r.code for r in load_regions()]
    assert len(codes) == 89
    assert len(set(codes)) == 89
    assert all(re.fullmatch(r"RU-[A-Z]{2,3}", code) for code in codes)


def test_names_are_unique_and_baikonur_is_not_a_region() -> None:
    names = [r.name for r in load_regions()]
    assert len(set(names)) == 89
    assert not any("Байконур" in name for name in names)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("RU-CR", "Республика Крым"),
        ("RU-SEV", "Севастополь"),
        ("RU-DPR", "Донецкая Народная Республика"),
        ("RU-LPR", "Луганская Народная Республика"),
        ("RU-ZAP", "Запорожская область"),
        ("RU-KHE", "Херсонская область"),
    ],
)
def test_the_six_subjects_outside_iso_have_their_agreed_codes(code: str, name: str) -> None:
    found = {r.code: r for r in load_regions()}[code]
    assert found.name == name
    assert found.federal_district == "Южный"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("RU-IRK", "Иркутская область"),
        ("RU-LIP", "Липецкая область"),
        ("RU-CHE", "Челябинская область"),
        ("RU-KHM", "Ханты-Мансийский автономный округ — Югра"),
        ("RU-PER", "Пермский край"),
        ("RU-IN", "Республика Ингушетия"),
        ("RU-MOW", "Москва"),
        ("RU-SPE", "Санкт-Петербург"),
        ("RU-KEM", "Кемеровская область — Кузбасс"),
    ],
)
def test_iso_codes(code: str, name: str) -> None:
    assert {r.code: r.name for r in load_regions()}[code] == name


def test_every_region_has_a_known_kind_and_federal_district() -> None:
    for r in load_regions():
        assert r.kind in KINDS, r
        assert r.federal_district in DISTRICTS, r
        assert r.capital and r.name_en, r
    kinds = [r.kind for r in load_regions()]
    assert kinds.count("республика") == 24
    assert kinds.count("край") == 9
    assert kinds.count("область") == 48
    assert kinds.count("город федерального значения") == 3


def test_every_time_zone_is_valid() -> None:
    for r in load_regions():
        assert ZoneInfo(r.timezone).utcoffset(WINTER) is not None, r


@pytest.mark.parametrize(
    ("code", "zone", "hours"),
    [
        ("RU-IRK", "Asia/Irkutsk", 8),
        ("RU-LIP", "Europe/Moscow", 3),
        ("RU-KGD", "Europe/Kaliningrad", 2),
        ("RU-SAM", "Europe/Samara", 4),
        ("RU-SVE", "Asia/Yekaterinburg", 5),
        ("RU-OMS", "Asia/Omsk", 6),
        ("RU-KEM", "Asia/Novokuznetsk", 7),
        ("RU-ZAB", "Asia/Chita", 9),
        ("RU-PRI", "Asia/Vladivostok", 10),
        ("RU-MAG", "Asia/Magadan", 11),
        ("RU-KAM", "Asia/Kamchatka", 12),
        ("RU-CR", "Europe/Simferopol", 3),
    ],
)
def test_time_zones(code: str, zone: str, hours: int) -> None:
    found = {r.code: r for r in load_regions()}[code]
    assert found.timezone == zone
    assert ZoneInfo(found.timezone).utcoffset(WINTER) == timedelta(hours=hours)


def test_region_vocabulary_refers_to_known_regions() -> None:
    codes = {r.code for r in load_regions()}
    vocabulary = load_region_aliases()
    assert [a.code for a in vocabulary.aliases] == [r.code for r in load_regions()]
    for ambiguous in vocabulary.ambiguous:
        assert len(ambiguous.codes) > 1
        assert set(ambiguous.codes) <= codes
    assert "Алтай" in {a.name for a in vocabulary.ambiguous}


def test_abbreviations_from_the_brief_are_present() -> None:
    vocabulary = load_region_aliases()
    written = {
        form
        for a in vocabulary.aliases
        for entry in (*a.abbreviations, *a.context_abbreviations)
        for form in entry.split("|")
    }
    assert {"ХМАО", "ЯНАО", "КБР", "КЧР", "ЕАО", "НАО", "РСО-Алания", "ДНР", "ЛНР"} <= written


def test_sections() -> None:
    sections = {s.slug: s for s in load_sections()}
    assert sections["regional"].name == "Региональные новости"
    assert sections["interview"].name_en == "Exporter interviews"
    assert sections["practice"].name == "Лучшие практики ВЭД"
    assert len(sections) == len(load_sections())


def test_topics_have_unique_slugs_and_keywords() -> None:
    topics = load_topics()
    slugs = [t.slug for t in topics]
    assert len(slugs) == len(set(slugs))
    assert {
        "light-industry",
        "mining-metallurgy",
        "agro",
        "food",
        "transport-logistics",
        "aircraft",
        "energy",
        "forestry",
        "chemistry",
        "machinery",
        "it",
        "tourism",
        "construction",
        "export",
        "state-support",
    } <= set(slugs)
    for topic in topics:
        assert topic.keywords, topic.slug
        assert topic.name and topic.name_en, topic.slug
        assert len(set(topic.keywords)) == len(topic.keywords), topic.slug


def test_loaders_return_the_same_immutable_data() -> None:
    assert load_regions() is load_regions()
    assert isinstance(load_topics(), tuple)
