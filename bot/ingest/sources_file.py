"""The sources file (TOML): which feeds and news-list pages to read, and extra sections.

A syntax error stops the file as a whole (with its line and column). A wrong source only
stops that source: it is reported with the reason and every other source is still read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.durations import check_interval, parse_duration
from bot.domain.errors import ConfigError, FeedAddressRefused
from bot.domain.models import HtmlSelectors, Section, SourceConfig, SourceKind
from bot.ingest.fetching.client import check_address

_SOURCE_KEYS = {
    "name",
    "url",
    "kind",
    "region",
    "section",
    "topics",
    "interval",
    "timezone",
    "html",
}
_HTML_KEYS = {"item", "title", "link", "date", "date_format", "teaser", "image", "limit"}


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A ``[[source]]`` that could not be used, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourcesFile:
    sources: tuple[SourceConfig, ...]
    sections: tuple[Section, ...]
    problems: tuple[SourceProblem, ...]


@dataclass(frozen=True, slots=True)
class KnownSlugs:
    """Reference data a source may name."""

    regions: Collection[str]
    sections: Collection[str]
    topics: Collection[str]


def read_sources_file(path: Path, known: KnownSlugs) -> SourcesFile:
    """Read and check the sources file; :class:`ConfigError` only for the file as a whole."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"the sources file {path} does not exist; copy sources.example.toml or set"
            " SOURCES_FILE"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the sources file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the sources file {path} is not valid TOML: {error}") from None
    return parse_sources(data, known, origin=str(path))


def parse_sources(data: Mapping[str, Any], known: KnownSlugs, *, origin: str) -> SourcesFile:
    unknown_tables = set(data) - {"source", "section"}
    if unknown_tables:
        names = ", ".join(sorted(unknown_tables))
        raise ConfigError(
            f"{origin}: unknown table(s) {names}; expected [[source]] and [[section]]"
        )
    sections = _parse_sections(data.get("section", []), origin=origin)
    section_slugs = set(known.sections) | {section.slug for section in sections}
    slugs = KnownSlugs(known.regions, section_slugs, known.topics)

    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{origin}: 'source' must be an array of tables: write [[source]]")
    sources: list[SourceConfig] = []
    problems: list[SourceProblem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources, start=1):
        label = str(raw.get("name") or f"#{index}") if isinstance(raw, dict) else f"#{index}"
        try:
            source = _parse_source(raw, slugs)
            if source.name in seen:
                raise ValueError(f"the name «{source.name}» is used by an earlier source")
        except ValueError as error:
            problems.append(SourceProblem(label, str(error)))
            continue
        seen.add(source.name)
        sources.append(source)
    return SourcesFile(tuple(sources), sections, tuple(problems))


def _parse_sections(raw: Any, *, origin: str) -> tuple[Section, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{origin}: 'section' must be an array of tables: write [[section]]")
    sections: list[Section] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key) for key in ("slug", "name")
        ):
            raise ConfigError(f"{origin}: [[section]] #{index} needs slug and name as strings")
        slug = item["slug"]
        if not slug.replace("-", "").isalnum() or not slug.isascii() or len(slug) > 32:
            raise ConfigError(
                f"{origin}: [[section]] #{index}: slug «{slug}» must be up to 32 latin letters,"
                " digits or hyphens"
            )
        sections.append(Section(slug, item["name"], str(item.get("name_en") or item["name"])))
    return tuple(sections)


def parse_source(raw: Any, known: KnownSlugs) -> SourceConfig:
    """One ``[[source]]`` table (or the same keys from elsewhere: the desk's dialogue, an OPML
    outline) checked by the sources file's rules; ``ValueError`` says what is wrong."""
    return _parse_source(raw, known)


def _parse_source(raw: Any, known: KnownSlugs) -> SourceConfig:
    if not isinstance(raw, dict):
        raise ValueError("a [[source]] must be a table of keys")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    name = _required_string(raw, "name")
    url = _required_string(raw, "url")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url «{url}» must start with http:// or https://")
    try:
        check_address(url)  # the fetcher's own rules: a host it can look up, a valid port
    except FeedAddressRefused as refused:
        raise ValueError(f"url: {refused.reason}") from None
    try:
        kind = SourceKind(raw.get("kind", "rss"))
    except ValueError:
        raise ValueError('kind must be "rss" or "html"') from None
    region = _optional_string(raw, "region")
    if region is not None:
        region = region.upper()
        if region not in known.regions:
            raise ValueError(f"region «{region}» is not an ISO 3166-2:RU code we know (RU-IRK…)")
    section = _optional_string(raw, "section")
    if section is not None and section not in known.sections:
        raise ValueError(
            f"section «{section}» is unknown; known: {', '.join(sorted(known.sections))}"
        )
    topics = raw.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(topic, str) for topic in topics):
        raise ValueError('topics must be a list of strings, like ["light-industry"]')
    unknown_topics = [topic for topic in topics if topic not in known.topics]
    if unknown_topics:
        raise ValueError(f"unknown topic(s) {', '.join(unknown_topics)}")
    interval = _interval(raw.get("interval"))
    timezone = _optional_string(raw, "timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone «{timezone}» is not an IANA zone (Asia/Irkutsk)") from None
    html = _html_selectors(raw.get("html"), kind)
    return SourceConfig(
        name=name,
        url=url,
        kind=kind,
        region=region,
        section=section,
        topics=tuple(dict.fromkeys(topics)),
        interval_seconds=interval,
        timezone=timezone,
        html=html,
    )


def _interval(value: Any) -> int | None:
    if value is None:
        return None
    seconds = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str):
        seconds = parse_duration(value)
    if seconds is None:
        raise ValueError('interval must be a duration such as "10m" or "1h"')
    return check_interval(seconds)


def _html_selectors(raw: Any, kind: SourceKind) -> HtmlSelectors | None:
    if kind is SourceKind.RSS:
        if raw is not None:
            raise ValueError('[source.html] selectors are only for kind = "html"')
        return None
    if not isinstance(raw, dict):
        raise ValueError('kind = "html" needs a [source.html] table with item and title selectors')
    unknown = set(raw) - _HTML_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) in [source.html]: {', '.join(sorted(unknown))}")
    limit = raw.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 500:
        raise ValueError("[source.html] limit must be a whole number from 1 to 500")
    return HtmlSelectors(
        item=_required_string(raw, "item"),
        title=_required_string(raw, "title"),
        link=_optional_string(raw, "link"),
        date=_optional_string(raw, "date"),
        date_format=_optional_string(raw, "date_format"),
        teaser=_optional_string(raw, "teaser"),
        image=_optional_string(raw, "image"),
        limit=limit,
    )


def _required_string(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is required and must be a non-empty string")
    return value.strip()


def _optional_string(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return value.strip()
