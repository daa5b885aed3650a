"""What the desk's source management shows: the list with its state in words, its buttons,
the add dialogue's prompts and preview, fetch results and the OPML import report.

Every text goes through gettext (Russian first, English second); every name, address and
error a source brings is untrusted text and only ever a text node (never HTML).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.desk.sources import (
    Clash,
    ImportReport,
    Preview,
    SkipReason,
    SourceClash,
    SourceOverview,
)
from bot.domain.models import Region, Section, SourceOrigin, SourceState
from bot.ingest.ingestor import SourceReport, SourceStatus
from bot.telegram.formatting import Bold, Code, Text, as_list
from bot.telegram.i18n import name_of
from handlers.render import echo

PAGE_SIZE = 5
MAX_ERROR_CHARS = 160
MAX_TITLE_CHARS = 120
MAX_SKIPPED_SHOWN = 10
MAX_ADDED_SHOWN = 20
MAX_NAME_CHARS = 64
MAX_URL_CHARS = 160
MAX_REGIONS_SHOWN = 10
MAX_DETAIL_CHARS = 120
# With these caps a page of the list, a preview and an import report stay under Telegram's
# 4096 characters (tests/test_desk_sources_units.py renders the worst case).

Action = Literal["pause", "resume", "fetch", "remove", "remove_yes"]


class SourcesPage(CallbackData, prefix="srcp"):
    """Show a page of /sources."""

    page: int


class SourceAction(CallbackData, prefix="srca"):
    """A button under /sources: pause, resume, fetch now, remove (asks), remove (confirmed)."""

    action: Action
    source: int
    page: int


class AddKind(CallbackData, prefix="srck"):
    kind: Literal["rss", "html"]


class AddNoRegion(CallbackData, prefix="srcr"):
    pass


class AddSection(CallbackData, prefix="srcs"):
    slug: str  # "" for none


class AddConfirm(CallbackData, prefix="srcc"):
    save: bool


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "—"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# the list ------------------------------------------------------------------------------------


def pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def state_lines(item: SourceOverview) -> list[Text | str]:
    """A source's state in words: paused by an admin and disabled by errors kept apart."""
    source = item.source
    lines: list[Text | str] = []
    if not item.in_use:
        lines.append(_("🗂 No longer in the sources file: not fetched; remove it when done."))
    if source.paused:
        lines.append(
            _("⏸ Paused by an admin (id {admin}) since {when}.").format(
                admin=source.paused_by or "?", when=_when(source.paused_at)
            )
        )
    if source.disabled_reason is not None:
        lines.append(
            _("⛔ Disabled by errors: {reason}").format(
                reason=_short(source.disabled_reason, MAX_ERROR_CHARS)
            )
        )
    elif source.consecutive_errors:
        lines.append(
            _("⚠️ Failed fetches in a row: {count}; last: {error}").format(
                count=source.consecutive_errors,
                error=_short(source.last_error or "?", MAX_ERROR_CHARS),
            )
        )
    elif item.in_use and not source.paused:
        lines.append(_("✅ Working."))
    if source.last_fetched_at is None:
        lines.append(
            _("Not fetched yet; next fetch {when}.").format(when=_when(source.next_fetch_at))
        )
    else:
        lines.append(
            _("Last fetch {fetched}, last success {success}.").format(
                fetched=_when(source.last_fetched_at), success=_when(source.last_success_at)
            )
        )
    lines.append(_("New items in 24 h: {count}.").format(count=item.recent_articles))
    return lines


def _origin(source: SourceState) -> str:
    if source.origin is SourceOrigin.BOT:
        return _("added in the bot")
    return _("from the sources file")


def source_block(number: int, item: SourceOverview) -> Text:
    source = item.source
    facts = [source.kind.value.upper(), source.region or _("no region")]
    facts.append(source.section or _("no section"))
    facts.append(_origin(source))
    return as_list(
        Text(f"{number}. ", Bold(_short(source.name, MAX_NAME_CHARS))),
        Code(_short(source.url, MAX_URL_CHARS)),
        " · ".join(facts),
        *state_lines(item),
    )


def sources_view(items: Sequence[SourceOverview], page: int) -> tuple[Text, InlineKeyboardMarkup]:
    """One page of /sources and its buttons (``page`` is clamped)."""
    total = pages(len(items))
    page = min(max(page, 0), total - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if not items:
        header: Text | str = _(
            "No sources yet. Add one with /source_add URL or send an .opml file."
        )
    else:
        header = Bold(
            _("Sources: {count} · page {page} of {pages}").format(
                count=len(items), page=page + 1, pages=total
            )
        )
    blocks: list[Text | str] = [header]
    rows: list[list[InlineKeyboardButton]] = []
    for offset, item in enumerate(shown):
        number = page * PAGE_SIZE + offset + 1
        blocks.append(source_block(number, item))
        rows.append(_source_buttons(number, item, page))
    navigation = []
    if page > 0:
        navigation.append(_button(_("◀️ Back"), SourcesPage(page=page - 1)))
    if page + 1 < total:
        navigation.append(_button(_("Next ▶️"), SourcesPage(page=page + 1)))
    if navigation:
        rows.append(navigation)
    footer = _("Add: /source_add URL · export: /export · import: send an .opml file")
    return as_list(*blocks, footer, sep="\n\n"), InlineKeyboardMarkup(inline_keyboard=rows)


def _source_buttons(number: int, item: SourceOverview, page: int) -> list[InlineKeyboardButton]:
    source = item.source
    buttons = []
    if source.paused or not source.enabled:
        buttons.append(
            _button(
                _("▶️ Resume {number}").format(number=number),
                SourceAction(action="resume", source=source.id, page=page),
            )
        )
    else:
        buttons.append(
            _button(
                _("⏸ Pause {number}").format(number=number),
                SourceAction(action="pause", source=source.id, page=page),
            )
        )
    buttons.append(
        _button(
            _("🔄 Fetch {number}").format(number=number),
            SourceAction(action="fetch", source=source.id, page=page),
        )
    )
    if source.origin is SourceOrigin.BOT or not item.in_use:
        buttons.append(
            _button(
                _("🗑 Remove {number}").format(number=number),
                SourceAction(action="remove", source=source.id, page=page),
            )
        )
    return buttons


def remove_question(source: SourceState, page: int) -> tuple[Text, InlineKeyboardMarkup]:
    text = as_list(
        Text(_("Remove the source"), " ", Bold(_short(source.name, MAX_NAME_CHARS)), "?"),
        _("It is no longer fetched; the articles already stored stay."),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    _("🗑 Yes, remove"),
                    SourceAction(action="remove_yes", source=source.id, page=page),
                ),
                _button(_("↩️ Keep it"), SourcesPage(page=page)),
            ]
        ]
    )
    return text, markup


def paused_text(name: str) -> str:
    return _("Paused «{name}».").format(name=echo(name))


def resumed_text(name: str) -> str:
    return _("Resumed «{name}»: it is fetched at the next pass.").format(name=echo(name))


def removed_text(name: str) -> str:
    return _("Removed «{name}»; its articles stay.").format(name=echo(name))


def remove_refused_text() -> str:
    return _("This source comes from the sources file: delete it there (or pause it here).")


def gone_text() -> str:
    return _("This source no longer exists.")


def fetching_text(name: str) -> str:
    return _("Fetching «{name}»…").format(name=echo(name))


def fetch_result(report: SourceReport) -> Text:
    """What «fetch now» did, in words."""
    name = Bold(_short(report.source, MAX_NAME_CHARS))
    if report.status is SourceStatus.NEW:
        line = _("fetched; new items: {new}, updated: {updated}.").format(
            new=report.new, updated=report.updated
        )
    elif report.status is SourceStatus.UNCHANGED:
        line = _("fetched: nothing new ({updated} updated).").format(updated=report.updated)
    elif report.status is SourceStatus.NOT_MODIFIED:
        line = _("fetched: the site says nothing changed since the last fetch.")
    else:
        line = _("the fetch failed: {error}").format(
            error=_short(report.error or "?", MAX_ERROR_CHARS)
        )
    parts: list[Text | str] = [Text(name, ": ", line)]
    if report.disabled_reason is not None:
        parts.append(
            _("⛔ Disabled by errors: {reason}").format(
                reason=_short(report.disabled_reason, MAX_ERROR_CHARS)
            )
        )
    return as_list(*parts)


# adding --------------------------------------------------------------------------------------


def add_usage() -> str:
    return _("Write it like: /source_add https://example.ru/rss.xml [name]")


def address_refused(reason: str) -> str:
    return _("This address cannot be used: {reason}").format(reason=reason)


def taken_text(clash: SourceClash) -> str:
    if clash.clash is Clash.NAME:
        return _(
            "A source named «{name}» exists already: give another name, /source_add URL NAME."
        ).format(name=echo(clash.existing))
    return _("This address is read already, as «{name}».").format(name=echo(clash.existing))


def cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("✖️ Cancel"), AddConfirm(save=False))]


def kind_prompt(name: str, url: str) -> tuple[Text, InlineKeyboardMarkup]:
    text = as_list(
        Text(_("Adding"), " ", Bold(name), " — ", Code(_short(url, MAX_URL_CHARS))),
        _("What is it? (/cancel stops)"),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("RSS / Atom / JSON feed"), AddKind(kind="rss"))],
            [_button(_("News page (CSS selectors)"), AddKind(kind="html"))],
            cancel_row(),
        ]
    )
    return text, markup


SELECTOR_KEYS = ("item", "title", "link", "date", "date_format", "teaser", "image")


def selectors_prompt() -> Text:
    return as_list(
        _("Send the page's CSS selectors, one per line, «key: selector»:"),
        Code("item: .news-list .item\ntitle: h3 a\ndate: .date"),
        _("item and title are required; link, date, date_format, teaser, image are optional."),
    )


def selectors_wrong() -> str:
    return _(
        "Each line must be «key: selector» with a key from: item, title, link, date,"
        " date_format, teaser, image; item and title are required. Send them again or /cancel."
    )


def parse_selectors(text: str) -> dict[str, str] | None:
    """``key: selector`` lines → a dict, or None if a line or a required key is wrong."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or key not in SELECTOR_KEYS or not value.strip():
            return None
        values[key] = value.strip()
    if "item" not in values or "title" not in values:
        return None
    return values


def region_prompt() -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "The default region of its news: send a code such as RU-IRK or the region's name,"
        " or press «No region»."
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("No region"), AddNoRegion())], cancel_row()]
    )
    return text, markup


def region_unknown(query: str) -> str:
    return _("I know no region «{query}»: send a code such as RU-IRK or its full name.").format(
        query=echo(query)
    )


def find_region(query: str, regions: Mapping[str, Region]) -> Region | None:
    wanted = query.strip().casefold()
    for region in regions.values():
        if wanted in {region.code.casefold(), region.name.casefold(), region.name_en.casefold()}:
            return region
    return None


def section_prompt(sections: Sequence[Section]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(name_of(section), AddSection(slug=section.slug))] for section in sections]
    rows.append([_button(_("No section"), AddSection(slug=""))])
    rows.append(cancel_row())
    return _("Its section:"), InlineKeyboardMarkup(inline_keyboard=rows)


def checking_text() -> str:
    return _("Fetching it once to show what it would give…")


def preview_view(
    name: str, preview: Preview, regions: Mapping[str, Region]
) -> tuple[Text, InlineKeyboardMarkup]:
    lines: list[Text | str] = [
        Text(
            Bold(_short(name, MAX_NAME_CHARS)),
            ": ",
            _("items it would ingest now: {count}.").format(count=preview.items),
        )
    ]
    lines += [f"• {_short(title, MAX_TITLE_CHARS)}" for title in preview.titles]
    if preview.regions:
        found = ", ".join(
            f"{name_of(regions[code]) if code in regions else code} ({count})"
            for code, count in preview.regions[:MAX_REGIONS_SHOWN]
        )
        if len(preview.regions) > MAX_REGIONS_SHOWN:
            found += ", …"
        lines.append(_("Regions found: {regions}").format(regions=found))
    else:
        lines.append(_("No regions found in these items."))
    if not preview.items:
        lines.append(_("Nothing to ingest: check the address or the selectors."))
    lines.append(_("Save this source?"))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("✅ Save"), AddConfirm(save=True)), *cancel_row()],
        ]
    )
    return as_list(*lines), markup


def check_failed(reason: str) -> str:
    return _(
        "The test fetch failed: {reason}. Nothing was saved; send /source_add again when fixed."
    ).format(reason=_short(reason, MAX_ERROR_CHARS))


def invalid_text(reason: str) -> str:
    return _("This source cannot be added: {reason}").format(reason=reason)


def saved_text(name: str) -> str:
    return _(
        "Saved «{name}». Its first fetch is within a minute; /sources shows its state."
    ).format(name=echo(name))


def cancelled_text() -> str:
    return _("Cancelled; nothing was saved.")


def dialogue_lost_text() -> str:
    return _("This dialogue is over. Send /source_add URL to start again.")


# OPML ----------------------------------------------------------------------------------------


def opml_too_big(limit_kb: int) -> str:
    return _("The file is too big: an .opml file of up to {limit} KB is read.").format(
        limit=limit_kb
    )


def download_failed() -> str:
    return _("I could not download the file from Telegram; send it again.")


def opml_refused(hostile: bool) -> str:
    if hostile:
        return _("This file declares a DTD (entities), which I do not read: nothing was imported.")
    return _("This is not an OPML file I can read (broken XML?): nothing was imported.")


def _skip_reason(reason: SkipReason, detail: str) -> str:
    if reason is SkipReason.NO_ADDRESS:
        return _("no feed address (xmlUrl)")
    if reason is SkipReason.NAME_TAKEN:
        return _("the name is taken by «{name}»").format(name=echo(detail))
    if reason is SkipReason.ADDRESS_TAKEN:
        return _("read already, as «{name}»").format(name=echo(detail))
    return _("not valid: {detail}").format(detail=_short(detail, MAX_DETAIL_CHARS))


def import_report(report: ImportReport) -> Text:
    lines: list[Text | str] = [
        Bold(
            _("OPML import: {added} added, {skipped} skipped.").format(
                added=len(report.added), skipped=len(report.skipped)
            )
        )
    ]
    if report.added:
        names = ", ".join(echo(name) for name in report.added[:MAX_ADDED_SHOWN])
        if len(report.added) > MAX_ADDED_SHOWN:
            names += " …"
        lines.append(_("Added: {names}").format(names=names))
    for skipped in report.skipped[:MAX_SKIPPED_SHOWN]:
        lines.append(f"• {echo(skipped.label)}: {_skip_reason(skipped.reason, skipped.detail)}")
    if len(report.skipped) > MAX_SKIPPED_SHOWN:
        lines.append(
            _("… and {count} more skipped.").format(count=len(report.skipped) - MAX_SKIPPED_SHOWN)
        )
    return as_list(*lines)


def export_caption(count: int) -> str:
    return _("Sources: {count}. Send this file back to import it.").format(count=count)
