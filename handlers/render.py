"""Every text the bot shows, built from :mod:`handlers.formatting` nodes.

Untrusted text (article titles and teasers, what a reader typed, chat titles) only ever goes
into plain nodes, which are escaped when the tree is written as HTML: it reaches Telegram as
text, never as markup.
Messages stay within Telegram's 4096 characters: article pages shorten teasers, then titles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.types import MessageEntity
from aiogram.utils.i18n import gettext as _

from bot.models import Article, DeliveryMode, Region, Rule, Section, Subscription, Topic
from bot.reading import PAGE_SIZE, Page
from handlers.callbacks import Part
from handlers.formatting import Bold, Code, Fixed, Italic, Text, TextLink, as_list
from handlers.i18n import current_language, name_of
from handlers.options import (
    DISTRICT_LABELS,
    LANGUAGE_LABELS,
    WEEKDAYS_EVERY,
    WEEKDAYS_SHORT,
    ZONES_BY_NAME,
)

MAX_MESSAGE_CHARS = 4096
MAX_ECHO_CHARS = 64
MAX_RULE_CHARS = 180  # × MAX_RULES (20) rules still fit one message
MAX_CHOSEN_CHARS = 1500
RULE_SEPARATOR = " · "
DEFAULT_ZONE = "Europe/Moscow"
_FITS = ((200, 300), (200, 160), (200, 80), (160, 0), (100, 0), (60, 0))
_MAX_REGIONS_PER_ARTICLE = 3
TEASER_CACHE_SIZE = 2048  # ten a page: the pages of the newest few hundred articles


class Names(Protocol):
    """What rendering needs from the catalogue (``bot.catalog.Catalog`` is one)."""

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


def echo(text: str) -> str:
    """What a reader typed, tidied and shortened for quoting back."""
    return shorten(text, MAX_ECHO_CHARS)


# rules and subscriptions ------------------------------------------------------------------


def _names(
    codes: Iterable[str], known: Mapping[str, Region] | Mapping[str, Section] | Mapping[str, Topic]
) -> list[str]:
    return sorted(name_of(known[code]) if code in known else code for code in codes)


def describe_rule(rule: Rule, names: Names) -> str:
    """«Иркутская область · все разделы · все темы»."""
    regions = ", ".join(_names(rule.regions, names.regions)) or _("any region")
    sections = ", ".join(_names(rule.sections, names.sections)) or _("all sections")
    topics = ", ".join(_names(rule.topics, names.topics)) or _("all topics")
    return RULE_SEPARATOR.join((regions, sections, topics))


def describe_delivery(subscription: Subscription) -> str:
    if subscription.mode is DeliveryMode.DAILY:
        return _("daily digest at {time}").format(time=subscription.digest_time)
    if subscription.mode is DeliveryMode.WEEKLY:
        return _("weekly digest {weekday} at {time}").format(
            weekday=_(WEEKDAYS_EVERY[subscription.digest_weekday % 7]),
            time=subscription.digest_time,
        )
    return _("each item as soon as it appears")


def describe_zone(zone: str | None) -> str:
    if zone is None:
        return _("not chosen yet (Moscow time is used)")
    preset = ZONES_BY_NAME.get(zone)
    if preset is not None:
        return f"{_(preset.city)} ({preset.offset_label})"
    try:
        offset = datetime(2024, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return zone
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"{zone} (UTC{hours:+d})"


def describe_quiet(subscription: Subscription) -> str:
    if subscription.quiet_start is None or subscription.quiet_end is None:
        return _("off")
    return f"{subscription.quiet_start}–{subscription.quiet_end}"


def describe_rules(subscription: Subscription, names: Names) -> Text:
    if not subscription.rules:
        return Text(_("No rules: nothing is delivered. Press «➕ Add a rule»."))
    return as_list(
        *(
            Text(f"{index}. ", shorten(describe_rule(rule, names), MAX_RULE_CHARS))
            for index, rule in enumerate(subscription.rules, 1)
        )
    )


def subscription_view(subscription: Subscription, names: Names, *, title: str) -> Text:
    """/my and the end of onboarding: every rule in words, then how news arrive."""
    lines: list[Text] = [Bold(title), describe_rules(subscription, names), Text()]
    lines.append(Text(Bold(_("Delivery:")), " ", describe_delivery(subscription)))
    lines.append(Text(Bold(_("Time zone:")), " ", describe_zone(subscription.timezone)))
    lines.append(Text(Bold(_("Quiet hours:")), " ", describe_quiet(subscription)))
    if subscription.paused:
        lines.append(Italic(_("Delivery is paused. Send /resume to continue.")))
    return as_list(*lines)


def settings_view(subscription: Subscription) -> Text:
    language = current_language()
    return as_list(
        Bold(_("Settings")),
        Text(_("Delivery:"), " ", describe_delivery(subscription)),
        Text(_("Digest time:"), " ", subscription.digest_time),
        Text(_("Weekly digest day:"), " ", _(WEEKDAYS_SHORT[subscription.digest_weekday % 7])),
        Text(_("Time zone:"), " ", describe_zone(subscription.timezone)),
        Text(_("Quiet hours:"), " ", describe_quiet(subscription)),
        Text(_("Language:"), " ", LANGUAGE_LABELS.get(language, language)),
        Text(),
        Text(_("Choose what to change.")),
    )


# choice keyboards' texts ------------------------------------------------------------------


def district_label(district: str) -> str:
    label = DISTRICT_LABELS.get(district)
    return _(label) if label is not None else district


def _choice_instruction(part: Part) -> str:
    # Only the one shown is translated: this runs on every press of a choice keyboard.
    if part is Part.REGIONS:
        return _("Choose regions. ✅ marks chosen ones; none chosen means any region.")
    if part is Part.SECTIONS:
        return _("Choose sections. ✅ marks chosen ones; none chosen means all sections.")
    return _("Choose topics. ✅ marks chosen ones; none chosen means all topics.")


def choice_prompt(
    part: Part, rule: Rule | None, names: Names, *, step: int | None, page_title: str | None
) -> Text:
    """The text above a toggle keyboard: what to do, which page, what is chosen so far."""
    lines: list[Text | str] = []
    if step is not None:
        lines.append(Bold(_("Step {step} of 4").format(step=step)))
    lines.append(_choice_instruction(part))
    if page_title is not None:
        lines.append(Text(_("Page:"), " ", Bold(page_title)))
    current = rule or Rule(0)
    if part is Part.REGIONS:
        chosen = _names(current.regions, names.regions)
    elif part is Part.SECTIONS:
        chosen = _names(current.sections, names.sections)
    else:
        chosen = _names(current.topics, names.topics)
    shown = shorten(", ".join(chosen), MAX_CHOSEN_CHARS) if chosen else _("any")
    lines.append(Text(_("Chosen:"), " ", shown))
    return as_list(*lines)


def mode_prompt() -> Text:
    return as_list(
        Bold(_("Step {step} of 4").format(step=4)),
        _("How should news arrive? You can change this later in /settings."),
    )


# articles ---------------------------------------------------------------------------------


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
    regions = _names(article.regions, names.regions)
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
    heading: Text = TextLink(title, url=content.url) if content.url else Bold(title)
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


def latest_header(region: Region | None, page: Page) -> Text:
    title = (
        _("Latest news: {region}").format(region=name_of(region))
        if region is not None
        else _("Latest news for this chat")
    )
    return Text("📰 ", Bold(title), f" ({_page(page)})")


def search_header(query: str, page: Page) -> Text:
    """The query sits in the one ``code`` entity of the header: «more» reads it back from there."""
    return Text("🔎 ", Code(" ".join(query.split())), f" ({_page(page)})")


def _page(page: Page) -> str:
    return _("page {number}").format(number=page.offset // PAGE_SIZE + 1)


def query_from(text: str | None, entities: Sequence[MessageEntity] | None) -> str | None:
    """The search query a results message carries in its first ``code`` entity."""
    if not text or not entities:
        return None
    for entity in entities:
        if entity.type == "code":
            return entity.extract_from(text)
    return None


def region_not_found(query: str, suggestions: Sequence[Region]) -> Text:
    lines: list[Text | str] = [_("Region «{query}» not found.").format(query=echo(query))]
    if suggestions:
        lines.append(
            _("Did you mean: {names}?").format(names=", ".join(name_of(r) for r in suggestions))
        )
    else:
        lines.append(_("Try the region's name, e.g. /latest Иркутская область."))
    return as_list(*lines)


def no_news() -> Text:
    return Text(_("No news yet. New articles will appear here as they arrive."))


def nothing_found(query: str) -> Text:
    return Text(_("Nothing found for «{query}».").format(query=echo(query)))


def language_name(code: str) -> str:
    return LANGUAGE_LABELS.get(code, code)
