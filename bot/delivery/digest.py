"""Digest texts: the new articles of a period as teaser lists grouped by region, then
section, one line each, like the teaser lists of a regional news portal::

    Дайджест за 4 декабря

    Иркутская область
    Региональные новости
    17.03 · РЖД заявили, что протяженность путей БАМа к 2030 году увеличится на 3,5 тыс. км
    …

Split into messages of at most 4096 characters (as shown), never inside a line; a message
that goes on with a region repeats its heading. Pure: names, dates and the header in the
chat's language and zone, no I/O. When digests are due is :mod:`bot.delivery.periods`
(re-exported here).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from aiogram.utils.i18n import gettext as _

from bot.delivery.periods import (
    DigestSchedule,
    Period,
    digest_due,
    digest_period,
    next_digest_at,
)
from bot.domain.models import Article
from bot.domain.wallclock import zone_of
from bot.telegram.articles import MAX_MESSAGE_CHARS, Names, shorten
from bot.telegram.cards import web_url
from bot.telegram.formatting import Bold, Italic, Text, TextLink, sizeof
from bot.telegram.i18n import N_, name_of, speaking

__all__ = [
    "DigestSchedule",
    "Period",
    "digest_due",
    "digest_messages",
    "digest_period",
    "next_digest_at",
]

TITLE_LIMIT = 250
LINE_SEPARATOR = " · "
# Translators: a month in a date, «4 декабря»: the genitive in Russian.
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def day_and_month(day: date) -> str:
    """«4 декабря» / "4 December", in the current language."""
    return f"{day.day} {_(MONTHS[day.month - 1])}"


def digest_header(period: Period | None) -> str:
    """«Дайджест за 4 декабря», «Дайджест за 28 ноября — 4 декабря», or «Дайджест»."""
    if period is None:
        return _("Digest")
    first, last = period.local_days()
    if first == last:
        return _("Digest for {day}").format(day=day_and_month(last))
    return _("Digest for {first} — {last}").format(
        first=day_and_month(first), last=day_and_month(last)
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    region: str  # the heading it goes under, as shown
    section: str
    line: Text


class _Message:
    """Lines on their way to one message, and the length they show joined by newlines."""

    __slots__ = ("lines", "size")

    def __init__(self, lines: Sequence[Text]) -> None:
        self.lines: list[Text] = []
        self.size = 0
        self.add(lines)

    def add(self, lines: Sequence[Text]) -> None:
        for line in lines:
            self.size += sizeof(line.plain()) + (1 if self.lines else 0)
            self.lines.append(line)

    def would_fit(self, lines: Sequence[Text]) -> bool:
        extra = sum(sizeof(line.plain()) + 1 for line in lines)
        return self.size + extra <= MAX_MESSAGE_CHARS

    def html(self) -> str:
        return "\n".join(line.as_html() for line in self.lines)


def digest_messages(
    articles: Iterable[Article],
    names: Names,
    *,
    language: str,
    zone: str | None,
    period: Period | None = None,
    prefer_regions: Collection[str] = (),
) -> list[str]:
    """The digest of ``articles`` as Telegram HTML messages, each at most 4096 characters;
    ``[]`` when there are none (no message when nothing is new).

    One line per story (the first article given for it), newest first within a section. An
    article about several regions goes under the first of them (by name) the chat follows
    (``prefer_regions``), else the first by name; one about none under «Другие новости».
    """
    with speaking(language):
        entries = _entries(articles, names, zone=zone, prefer_regions=prefer_regions)
        if not entries:
            return []
        header = Bold(digest_header(period))
        continued = _("(continued)")
        other = _("Other news")
    sections = {slug: index for index, slug in enumerate(names.sections)}
    section_names = {
        name: sections.get(slug, len(sections))
        for slug, name in ((e.section_slug, e.entry.section) for e in entries)
    }
    entries.sort(
        key=lambda e: (
            e.entry.region == other,
            e.entry.region,
            section_names[e.entry.section],
            e.entry.section,
            -e.published.timestamp(),
        )
    )
    messages: list[_Message] = [_Message([header])]
    region = section = None
    for item in entries:
        entry = item.entry
        group: list[Text] = []
        if entry.region != region:
            group += [Text(""), Bold(entry.region), Italic(entry.section)]
        elif entry.section != section:
            group.append(Italic(entry.section))
        group.append(entry.line)
        if not messages[-1].would_fit(group):
            heading = f"{entry.region} {continued}" if entry.region == region else entry.region
            messages.append(_Message([Bold(heading), Italic(entry.section)]))
            group = [entry.line]
        messages[-1].add(group)
        region, section = entry.region, entry.section
    return [message.html() for message in messages]


@dataclass(frozen=True, slots=True)
class _Placed:
    entry: _Entry
    section_slug: str
    published: datetime


def _entries(
    articles: Iterable[Article], names: Names, *, zone: str | None, prefer_regions: Collection[str]
) -> list[_Placed]:
    tz = zone_of(zone)
    other = _("Other news")
    seen: set[int] = set()
    placed: list[_Placed] = []
    for article in articles:
        if article.story_id in seen:
            continue
        seen.add(article.story_id)
        regions = sorted(
            (name_of(names.regions[code]) if code in names.regions else code, code)
            for code in article.regions
        )
        chosen = next((name for name, code in regions if code in prefer_regions), None)
        region = chosen or (regions[0][0] if regions else other)
        known = names.sections.get(article.section)
        section = name_of(known) if known else article.section
        published = article.published_at
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        local = published.astimezone(tz)
        title = shorten(article.title, TITLE_LIMIT) or _("(untitled)")
        link = web_url(article.url)
        line = Text(
            f"{local.day:02d}.{local.month:02d}{LINE_SEPARATOR}",
            TextLink(title, url=link) if link else title,
        )
        placed.append(_Placed(_Entry(region, section, line), article.section, published))
    return placed
