"""The sources file: good entries become sources, a wrong one is reported alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.durations import format_duration, parse_duration
from bot.domain.errors import ConfigError
from bot.domain.models import SourceKind
from bot.ingest.sources_file import KnownSlugs, read_sources_file

KNOWN = KnownSlugs(
    regions={"RU-IRK", "RU-LIP"},
    sections={"regional", "interview", "practice"},
    topics={"light-industry", "agro"},
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[section]]
slug = "analytics"
name = "Аналитика"

[[source]]
name = "irkutsk-industry"
url = "https://example.org/rss"
kind = "rss"
region = "RU-IRK"
section = "analytics"
topics = ["light-industry"]
interval = "10m"

[[source]]
name = "list"
url = "https://example.org/news/"
kind = "html"
[source.html]
item = "div.news-item"
title = "a.title"
link = "a.title"
date = "span.date"
date_format = "%d.%m.%Y"
teaser = "p.announce"
""",
    )
    parsed = read_sources_file(path, KNOWN)
    assert parsed.problems == ()
    assert [s.name for s in parsed.sources] == ["irkutsk-industry", "list"]
    first, second = parsed.sources
    assert (first.region, first.section, first.topics, first.interval_seconds) == (
        "RU-IRK",
        "analytics",
        ("light-industry",),
        600,
    )
    assert second.kind is SourceKind.HTML and second.html is not None
    assert second.html.date_format == "%d.%m.%Y"
    assert [s.slug for s in parsed.sections] == ["analytics"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('url = "https://x.example/"', "name is required"),
        ('name = "a"\nurl = "ftp://x.example/"', "must start with http"),
        ('name = "a"\nurl = "https://x/"\nkind = "atom"', 'kind must be "rss" or "html"'),
        ('name = "a"\nurl = "https://x/"\nregion = "RU-XXX"', "RU-XXX"),
        ('name = "a"\nurl = "https://x/"\nsection = "gossip"', "section «gossip» is unknown"),
        ('name = "a"\nurl = "https://x/"\ntopics = ["cats"]', "unknown topic(s) cats"),
        ('name = "a"\nurl = "https://x/"\ninterval = "soon"', "not a duration"),
        ('name = "a"\nurl = "https://x/"\ninterval = "10s"', "at least 1m"),
        ('name = "a"\nurl = "https://x/"\nkind = "html"', "needs a [source.html] table"),
        ('name = "a"\nurl = "https://x/"\ncolour = "red"', "unknown key(s) colour"),
        ('name = "a"\nurl = "https://x/"\ntimezone = "Mars/Base"', "not an IANA zone"),
    ],
)
def test_a_wrong_source_is_reported_with_its_reason_and_the_rest_is_kept(
    tmp_path: Path, entry: str, reason: str
) -> None:
    path = write(
        tmp_path,
        f'[[source]]\n{entry}\n\n[[source]]\nname = "good"\nurl = "https://ok.example/rss"\n',
    )
    parsed = read_sources_file(path, KNOWN)
    assert [s.name for s in parsed.sources] == ["good"]
    assert len(parsed.problems) == 1
    assert reason in parsed.problems[0].reason


def test_duplicate_names_keep_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[source]]\nname = "a"\nurl = "https://one/"\n[[source]]\nname = "a"\nurl = "https://two/"\n',
    )
    parsed = read_sources_file(path, KNOWN)
    assert [s.url for s in parsed.sources] == ["https://one/"]
    assert "used by an earlier source" in parsed.problems[0].reason


def test_a_file_that_is_not_toml_stops_with_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "[[source]\nname = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_sources_file(path, KNOWN)


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_sources_file(tmp_path / "nope.toml", KNOWN)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800), ("45", 45)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "m", "10x", "1h 2", "-5m", "0m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('interval = "99999999999999999d"', "«99999999999999999d» is longer than 30d"),
        ('interval = "3000000d"', "«3000000d» is longer than 30d, the longest allowed"),
        ('interval = "31d"', "longer than 30d"),
        ("interval = 99999999999999999", "an interval must be at most 30d"),
        ("interval = 59", "an interval must be at least 1m"),
        (f'interval = "{"9" * 400}"', "is longer than 30d"),
    ],
)
def test_an_interval_outside_1m_to_30d_is_refused(tmp_path: Path, entry: str, reason: str) -> None:
    path = write(tmp_path, f'[[source]]\nname = "a"\nurl = "https://x.example/"\n{entry}\n')
    parsed = read_sources_file(path, KNOWN)
    assert parsed.sources == ()
    assert [problem.name for problem in parsed.problems] == ["a"]
    assert reason in parsed.problems[0].reason


@pytest.mark.parametrize(("interval", "seconds"), [('"1m"', 60), ('"30d"', 2_592_000)])
def test_the_interval_bounds_are_accepted(tmp_path: Path, interval: str, seconds: int) -> None:
    path = write(
        tmp_path, f'[[source]]\nname = "a"\nurl = "https://x.example/"\ninterval = {interval}\n'
    )
    assert read_sources_file(path, KNOWN).sources[0].interval_seconds == seconds


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://", "url: the address http:// has no host name"),
        ("https://", "has no host name"),
        ("http:///feed.xml", "has no host name"),
        ("https://x.example:99999/rss", "is not a valid web address"),
        (f"https://{'a' * 64}.example/rss", "longer than 63 characters"),
        ("https://news..example/rss", "has an empty part"),
    ],
)
def test_a_url_the_fetcher_could_never_fetch_is_refused_when_the_file_is_read(
    tmp_path: Path, url: str, reason: str
) -> None:
    path = write(tmp_path, f'[[source]]\nname = "a"\nurl = "{url}"\n')
    parsed = read_sources_file(path, KNOWN)
    assert parsed.sources == ()
    assert reason in parsed.problems[0].reason
