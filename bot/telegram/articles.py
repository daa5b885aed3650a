"""Articles as Telegram HTML: teasers (the title as a link, date, regions, the teaser) and
pages of them that fit one message. Shared by the reader handlers and the delivery sender.

Untrusted text (titles, teasers) only ever goes into plain nodes of
:mod:`bot.telegram.formatting`, which are escaped when the tree is written as HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.utils.i18n import gettext as _

from bot.domain.models import Article, Region, Section, Topic
from bot.telegram.formatting import Bold, Fixed, Italic, Text, TextLink, as_list, is_web_link
from bot.telegram.i18n import name_of

MAX_MESSAGE_CHARS = 4096
RULE_SEPARATOR = " · "
DEFAULT_ZONE = "Europe/Moscow"
_FITS = ((200, 300), (200, 160), (200, 80), (160, 0), (100, 0), (60, 0))
_MAX_REGIONS_PER_ARTICLE = 3
TEASER_CACHE_SIZE = 2048  # ten a page: the pages of the newest few hundred articles


class Names(Protocol):
    """What rendering needs from the catalogue (``bot.readers.catalog.Catalog`` is one)."""

    @property
    def regions(self) -> Mapping[str, Region]: ...

    @property
    def sections(self) -> Mapping[str, Section]: ...

    @property
    def topics(self) -> Mapping[str, Topic]: ...


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with «…» if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:—-") + "…"


def names_of(
    codes: Iterable[str], known: Mapping[str, Region] | Mapping[str, Section] | Mapping[str, Topic]
) -> list[str]:
    return sorted(name_of(known[code]) if code in known else code for code in codes)


def _local(moment: datetime, zone: str | None) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        tz = ZoneInfo(zone or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(DEFAULT_ZONE)
    return aware.astimezone(tz)


def _day_and_time(moment: datetime) -> str:
    """«28.11.2026 09:05»: ``strftime("%d.%m.%Y %H:%M")`` at a quarter of its cost (ten a page)."""
    return (
        f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d}"
        f" {moment.hour:02d}:{moment.minute:02d}"
    )


def article_teaser(
    article: Article,
    names: Names,
    *,
    zone: str | None = None,
    title_limit: int = 200,
    teaser_limit: int = 300,
) -> Text:
    """Title as a link, date and regions, then the teaser.

    Many readers are shown the same articles, so a teaser is kept once made
    (:func:`_teaser`), keyed by everything it shows: the article's title, link and teaser,
    the date in the reader's zone, the region names and «(untitled)» in their language.
    """
    regions = names_of(article.regions, names.regions)
    if len(regions) > _MAX_REGIONS_PER_ARTICLE:
        extra = len(regions) - _MAX_REGIONS_PER_ARTICLE
        regions = [*regions[:_MAX_REGIONS_PER_ARTICLE], f"+{extra}"]
    return _teaser(
        _TeaserContent(
            title=article.title,
            url=article.url,
            teaser=article.teaser,
            published=_day_and_time(_local(article.published_at, zone)),
            regions=", ".join(regions),
            title_limit=title_limit,
            teaser_limit=teaser_limit,
            untitled=_("(untitled)"),
        )
    )


@dataclass(frozen=True, slots=True)
class _TeaserContent:
    """Everything a teaser shows, already in the reader's language and time zone."""

    title: str
    url: str | None
    teaser: str
    published: str
    regions: str
    title_limit: int
    teaser_limit: int
    untitled: str


@lru_cache(maxsize=TEASER_CACHE_SIZE)
def _teaser(content: _TeaserContent) -> Fixed:
    title = shorten(content.title, content.title_limit) or content.untitled
    # A link that is not http(s) is shown as no link at all: the title in bold.
    heading: Text = (
        TextLink(title, url=content.url)
        if content.url and is_web_link(content.url)
        else Bold(title)
    )
    meta = RULE_SEPARATOR.join((content.published, content.regions))
    lines: list[Text | str] = [heading, Italic(meta if content.regions else content.published)]
    teaser = shorten(content.teaser, content.teaser_limit) if content.teaser_limit else ""
    if teaser:
        lines.append(teaser)
    return Fixed(as_list(*lines))


def articles_view(
    header: Text, articles: Sequence[Article], names: Names, *, zone: str | None = None
) -> Text:
    """A page of teasers under ``header``, shortened until it fits one message."""
    content = header
    for title_limit, teaser_limit in _FITS:
        teasers = [
            article_teaser(
                article, names, zone=zone, title_limit=title_limit, teaser_limit=teaser_limit
            )
            for article in articles
        ]
        content = as_list(header, *teasers, sep="\n\n")
        if content.length() <= MAX_MESSAGE_CHARS:
            return content
    return content
