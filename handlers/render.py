"""Every text the bot shows, built from :mod:`bot.telegram.formatting` nodes.

Untrusted text (article titles and teasers, what a reader typed, chat titles) only ever goes
into plain nodes, which are escaped when the tree is written as HTML: it reaches Telegram as
text, never as markup.
Messages stay within Telegram's 4096 characters: article pages shorten teasers, then titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.types import MessageEntity
from aiogram.utils.i18n import gettext as _

from bot.domain.models import DeliveryMode, Region, Rule, Subscription
from bot.readers.reading import PAGE_SIZE, Page
from bot.telegram.articles import (
    RULE_SEPARATOR,
    Names,
    names_of,
    shorten,
)
from bot.telegram.formatting import Bold, Code, Italic, Text, as_list
from bot.telegram.i18n import current_language, name_of
from handlers.callbacks import Part
from handlers.options import (
    DISTRICT_LABELS,
    LANGUAGE_LABELS,
    WEEKDAYS_EVERY,
    WEEKDAYS_SHORT,
    ZONES_BY_NAME,
)

MAX_ECHO_CHARS = 64
MAX_RULE_CHARS = 180  # × MAX_RULES (20) rules still fit one message
MAX_CHOSEN_CHARS = 1500


def echo(text: str) -> str:
    """What a reader typed, tidied and shortened for quoting back."""
    return shorten(text, MAX_ECHO_CHARS)


# rules and subscriptions ------------------------------------------------------------------


def describe_rule(rule: Rule, names: Names) -> str:
    """«Иркутская область · все разделы · все темы»."""
    regions = ", ".join(names_of(rule.regions, names.regions)) or _("any region")
    sections = ", ".join(names_of(rule.sections, names.sections)) or _("all sections")
    topics = ", ".join(names_of(rule.topics, names.topics)) or _("all topics")
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
        chosen = names_of(current.regions, names.regions)
    elif part is Part.SECTIONS:
        chosen = names_of(current.sections, names.sections)
    else:
        chosen = names_of(current.topics, names.topics)
    shown = shorten(", ".join(chosen), MAX_CHOSEN_CHARS) if chosen else _("any")
    lines.append(Text(_("Chosen:"), " ", shown))
    return as_list(*lines)


def mode_prompt() -> Text:
    return as_list(
        Bold(_("Step {step} of 4").format(step=4)),
        _("How should news arrive? You can change this later in /settings."),
    )


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
