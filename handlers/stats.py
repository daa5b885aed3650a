"""/stats, for owners and editors in a private chat with the bot: the figures in one message,
then the 30-day chart as a photo.

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`, messages and presses): for
anyone else /stats is an unknown command. Private chats only, so figures never land in a group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _

from bot.desk.stats import StatsService
from bot.domain.models import Region, Section, Topic
from bot.domain.stats import DeliveryCounts, KeyCounts, StatsSnapshot
from bot.readers.catalog import Catalog
from bot.telegram.formatting import Bold, Text, as_list, sizeof
from bot.telegram.i18n import name_of
from handlers.context import send
from handlers.filters import IsAdmin, on_loop
from handlers.render import echo

MAX_MESSAGE = 4096
LIST_LIMITS = (8, 3)  # rows per list; the smaller one when the message would be too long
MAX_REASON = 80


def _counts_line(label: str, total: int, active: int, paused: int, blocked: int) -> str:
    return _("{label}: {total} (active {active} · paused {paused} · blocked {blocked})").format(
        label=label, total=total, active=active, paused=paused, blocked=blocked
    )


def _named(
    items: Sequence[KeyCounts],
    names: Mapping[str, Region] | Mapping[str, Section] | Mapping[str, Topic],
    any_label: str,
    limit: int,
) -> list[Text | str]:
    lines: list[Text | str] = []
    for item in items[:limit]:
        known = names.get(item.key)
        label = any_label if not item.key else (name_of(known) if known else item.key)
        c = item.counts
        lines.append("• " + _counts_line(label, c.total, c.active, c.paused, c.blocked))
    if len(items) > limit:
        lines.append(_("… and {count} more").format(count=len(items) - limit))
    return lines or [_("nobody yet")]


def _deliveries(label: str, counts: DeliveryCounts) -> str:
    return _("{label}: sent {sent}, failed {failed}").format(
        label=label, sent=counts.sent, failed=counts.failed
    )


def stats_text(snapshot: StatsSnapshot, catalog: Catalog, limit: int) -> Text:
    s = snapshot.subscribers
    lines: list[Text | str] = [
        Bold(
            _("Statistics at {moment} UTC").format(moment=snapshot.at.strftime("%d.%m.%Y %H:%M"))
        ),
        "",
        Bold(_counts_line(_("Subscribers"), s.total, s.active, s.paused, s.blocked)),
        Bold(_("By region:")),
        *_named(snapshot.by_region, catalog.regions, _("any region"), limit),
        Bold(_("By section:")),
        *_named(snapshot.by_section, catalog.sections, _("all sections"), limit),
        Bold(_("By topic:")),
        *_named(snapshot.by_topic, catalog.topics, _("all topics"), limit),
        "",
        Bold(_("Deliveries")),
        _deliveries(_("last 24 hours"), snapshot.last_day),
        _deliveries(_("last 7 days"), snapshot.last_week),
        _("waiting to be sent now: {count}").format(count=snapshot.waiting),
    ]
    if snapshot.failure_reasons:
        lines.append(Bold(_("Why deliveries failed (7 days):")))
        unknown = _("no reason recorded")
        lines += [
            f"• {echo(r.reason or unknown)[:MAX_REASON]} — {r.count}"
            for r in snapshot.failure_reasons[:limit]
        ]
    lines += ["", Bold(_("Busiest sources (7 days):"))]
    lines += [
        "• " + _("{name}: {count} new items").format(name=echo(a.name), count=a.articles)
        for a in snapshot.busiest_sources[:limit]
    ] or [_("no new items")]
    lines.append(Bold(_("Failing sources:")))
    failing: list[Text | str] = []
    for f in snapshot.failing_sources[:limit]:
        if f.disabled_reason:
            why = _("disabled: {reason}").format(reason=echo(f.disabled_reason)[:MAX_REASON])
        else:
            why = _("{count} errors in a row: {error}").format(
                count=f.consecutive_errors, error=echo(f.last_error or "?")[:MAX_REASON]
            )
        failing.append(f"• {echo(f.name)} — {why}")
    lines += failing or [_("none")]
    return as_list(*lines)


def chart_caption() -> str:
    return _(
        "Per day (UTC) over 30 days: subscribers — blue line, left scale; messages delivered"
        " — orange bars, right scale."
    )


async def cmd_stats(message: Message, stats: StatsService, catalog: Catalog, bot: Bot) -> None:
    snapshot = await stats.snapshot()
    for limit in LIST_LIMITS:
        text = stats_text(snapshot, catalog, limit)
        if sizeof(text.plain()) <= MAX_MESSAGE:
            break
    await send(message, text)
    png = await stats.chart(snapshot)
    await bot.send_photo(
        message.chat.id,
        BufferedInputFile(png, filename="stats.png"),
        caption=chart_caption(),
    )


def build_router() -> Router:
    """A fresh /stats router: the admin guard on messages and presses, then the handler."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin(), on_loop(F.chat.type == ChatType.PRIVATE))
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_stats, Command("stats"))
    return router
