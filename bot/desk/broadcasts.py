"""Broadcasts: an admin's announcement to every reader or to the readers of chosen regions.

A broadcast is first a *draft* (its text, already re-checked as our Telegram HTML, and its
audience), shown to its author with the number of chats it will reach; confirmed, its messages
go into the OUTBOX in one write with the broadcast's new state and its audit row (kind
'broadcast', dedupe key ``broadcast:<id>``, priority :data:`PRIORITY`), so the sender sends
them within Telegram's limits and a restart continues where it stopped. Pausing holds its
pending messages (the sender's claim skips them), resuming releases them, cancelling cancels
them with the reason. Every step is audited (``broadcast.*``).

The progress message (the confirmation, edited) is refreshed by :meth:`BroadcastDesk.refresh_all`,
which the scheduler runs every :data:`PROGRESS_EVERY`: «Отправлено 1 234 из 5 000 · ошибок 3 ·
осталось ≈ 2 мин», with pause/resume and cancel buttons, edited only when its text changes.

Who reaches whom: every active chat that is not a channel and has an unpaused subscription;
with regions, only the chats whose subscription rules name one of them (readers of «any
region» are not a region's subscribers). One message per chat.

Nothing here is kept in memory between calls: every process reads the database (but ONE bot
process sends and edits, as everywhere: see :mod:`bot.app.process_lock`).
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.domain.clock import Clock, system_clock
from bot.domain.delivery import Priority
from bot.domain.models import Region
from bot.tagging.resolver import RegionResolver
from bot.telegram.formatting import Bold, as_list
from bot.telegram.i18n import name_of, speaking
from storage import broadcasts as units
from storage.audit import record_audit
from storage.broadcasts import BroadcastRow, DeliveryTally
from storage.database import Database

log = logging.getLogger(__name__)

PRIORITY = Priority.DIGEST
"""Below instant pushes and channel posts, level with digests (by due time among them): an
announcement to thousands of chats must not hold up the news, and the contract's priorities
are whole numbers, so there is no room strictly between channel posts and digests."""

PROGRESS_EVERY = timedelta(seconds=3)
"""How often the progress messages are refreshed (each edited only when its text changed)."""

ETA_MIN_ELAPSED = timedelta(seconds=5)
"""Before this long of sending, the time left is estimated from the configured rate."""

CALLBACK_PREFIX = "bc"
"""Callback data of the progress and confirmation buttons: ``bc:<action>:<id>``."""
ACTION_GO = "go"
ACTION_DROP = "drop"
ACTION_PAUSE = "pause"
ACTION_RESUME = "resume"
ACTION_CANCEL = "cancel"
ACTIONS = (ACTION_GO, ACTION_DROP, ACTION_PAUSE, ACTION_RESUME, ACTION_CANCEL)


def callback(action: str, broadcast_id: int) -> str:
    return f"{CALLBACK_PREFIX}:{action}:{broadcast_id}"


def subject(broadcast_id: int) -> str:
    """How a broadcast is named in the audit log."""
    return f"broadcast:{broadcast_id}"


class Board(Protocol):
    """Where the progress is shown: edit a message's text and its buttons (the composition
    root builds it on the Bot). Returns False when Telegram refused the edit (logged)."""

    async def show(
        self, chat_id: int, message_id: int, html: str, buttons: Sequence[tuple[str, str]]
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    audience: int
    """Chats it would reach if confirmed now (counted again at the start)."""


@dataclass(frozen=True, slots=True)
class RegionChoice:
    """Region names typed by an admin, resolved: the regions found, and what was not."""

    regions: tuple[Region, ...]
    unknown: tuple[str, ...]


def group_digits(number: int, language: str) -> str:
    """``1234`` → «1 234» (a no-break space) in Russian, "1,234" in English."""
    grouped = f"{number:,}"
    return grouped.replace(",", "\u00a0") if language == "ru" else grouped


def minutes_left(
    left: int, *, sent: int, started: datetime | None, now: datetime, rate: float
) -> int:
    """Whole minutes (rounded up) to send ``left`` more: at the rate seen so far once the
    broadcast has sent for :data:`ETA_MIN_ELAPSED`, else at ``rate`` messages a second."""
    if left <= 0:
        return 0
    if started is not None and sent > 0:
        elapsed = (now - started).total_seconds()
        if elapsed >= ETA_MIN_ELAPSED.total_seconds():
            rate = sent / elapsed
    return max(1, math.ceil(left / max(rate, 1e-6) / 60))


def progress_view(
    row: BroadcastRow,
    tally: DeliveryTally,
    names: Mapping[str, Region],
    *,
    now: datetime,
    rate: float,
) -> tuple[str, list[tuple[str, str]]]:
    """The progress message of ``row`` (HTML) and its buttons, in the author's language."""
    with speaking(row.language):
        n = row.language

        def number(value: int) -> str:
            return group_digits(value, n)

        figures = {
            "sent": number(tally.sent),
            "total": number(row.total),
            "failed": number(tally.failed),
            "left": number(tally.left),
            "cancelled": number(tally.cancelled),
        }
        buttons: list[tuple[str, str]] = []
        if row.state == units.SENDING:
            minutes = minutes_left(
                tally.left, sent=tally.sent + tally.failed, started=row.started_at, now=now,
                rate=rate,
            )  # fmt: skip
            line = _("Sent {sent} of {total} · failed {failed} · ≈ {minutes} min left").format(
                minutes=number(minutes), **figures
            )
            buttons = [
                (_("⏸ Pause"), callback(ACTION_PAUSE, row.id)),
                (_("✖ Cancel"), callback(ACTION_CANCEL, row.id)),
            ]
        elif row.state == units.PAUSED:
            line = _("Paused: sent {sent} of {total} · failed {failed} · waiting {left}").format(
                **figures
            )
            buttons = [
                (_("▶ Resume"), callback(ACTION_RESUME, row.id)),
                (_("✖ Cancel"), callback(ACTION_CANCEL, row.id)),
            ]
        elif row.state == units.CANCELLED:
            line = _(
                "Cancelled: sent {sent} of {total} · failed {failed} · cancelled {cancelled}"
            ).format(**figures)
        else:
            line = _("Done: sent {sent} of {total} · failed {failed}").format(**figures)
        header = Bold(_("📣 Broadcast #{id}: {audience}").format(
            id=row.id, audience=audience_words(row.regions, names)
        ))  # fmt: skip
        return as_list(header, line).as_html(), buttons


def audience_words(codes: Sequence[str], names: Mapping[str, Region]) -> str:
    """«всем читателям» or the regions' names, in the current language."""
    if not codes:
        return _("every reader")
    return ", ".join(name_of(names[code]) if code in names else code for code in codes)


class BroadcastDesk:
    """The broadcasts service. One per process, built by the composition root, given to the
    handlers as ``broadcasts``; :meth:`refresh_all` is the scheduler's progress job."""

    def __init__(
        self,
        database: Database,
        *,
        resolver: RegionResolver,
        regions: Sequence[Region],
        board: Board,
        rate: float,
        clock: Clock = system_clock,
    ) -> None:
        self._db = database
        self._resolver = resolver
        self._regions = {region.code: region for region in regions}
        self._board = board
        self._rate = rate
        self._clock = clock

    @property
    def regions(self) -> Mapping[str, Region]:
        return self._regions

    # choosing the audience --------------------------------------------------------------

    def resolve(self, text: str) -> RegionChoice:
        """Region names (any form the resolver knows) or codes, separated by commas or new
        lines."""
        found: list[Region] = []
        unknown: list[str] = []
        for part in text.replace("\n", ",").replace(";", ",").split(","):
            query = part.strip()
            if not query:
                continue
            code = query.upper()
            code = code if code.startswith("RU-") else f"RU-{code}"
            region = self._regions.get(code) or self._resolver.resolve(query)
            if region is None:
                unknown.append(query)
            elif region not in found:
                found.append(region)
        return RegionChoice(tuple(found), tuple(unknown))

    async def popular_regions(self, limit: int = 6) -> list[Region]:
        """The regions most readers chose (for the audience buttons)."""
        codes = await self._db.read(lambda conn: units.regions_by_readers(conn, limit))
        return [self._regions[code] for code in codes if code in self._regions]

    # the broadcast's life ---------------------------------------------------------------

    async def draft(
        self, author_id: int, body: str, regions: Sequence[str], *, language: str
    ) -> Draft:
        """Keep the announcement until its author confirms; how many chats it would reach."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> Draft:
            broadcast_id = units.create_draft(
                conn, author_id=author_id, body=body, regions=regions, language=language, now=now
            )
            return Draft(broadcast_id, units.audience_size(conn, regions))

        return await self._db.write(work)

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        return await self._db.read(lambda conn: units.get(conn, broadcast_id))

    async def start(
        self, actor_id: int, broadcast_id: int, *, chat_id: int, message_id: int
    ) -> BroadcastRow | None:
        """Confirm a draft: its messages into the outbox, audited, in one write. ``None``: it
        was not a draft any more (pressed twice, dropped, or already sent)."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> BroadcastRow | None:
            total = units.start(
                conn,
                broadcast_id,
                priority=PRIORITY,
                progress_chat_id=chat_id,
                progress_message_id=message_id,
                now=now,
            )
            if total is None:
                return None
            row = units.get(conn, broadcast_id)
            assert row is not None
            record_audit(
                conn,
                actor_id=actor_id,
                action="broadcast.start",
                subject=subject(broadcast_id),
                before={"state": units.DRAFT},
                after={"state": row.state, "regions": list(row.regions), "total": total,
                       "body": row.body},
                now=now,
            )  # fmt: skip
            return row

        row = await self._db.write(work)
        if row is not None:
            log.info("broadcast %d started: %d chats", broadcast_id, row.total)
        return row

    async def drop(self, actor_id: int, broadcast_id: int) -> bool:
        """Throw a draft away (audited); False if it was not a draft."""
        return await self._move(actor_id, broadcast_id, units.DRAFT, units.DROPPED, "drop")

    async def pause(self, actor_id: int, broadcast_id: int) -> bool:
        """Hold its pending messages; False if it was not sending."""
        return await self._move(actor_id, broadcast_id, units.SENDING, units.PAUSED, "pause")

    async def resume(self, actor_id: int, broadcast_id: int) -> bool:
        """Release its held messages; False if it was not paused."""
        return await self._move(actor_id, broadcast_id, units.PAUSED, units.SENDING, "resume")

    async def _move(self, actor_id: int, broadcast_id: int, old: str, new: str, verb: str) -> bool:
        now = self._clock()

        def work(conn: sqlite3.Connection) -> bool:
            if not units.set_state(conn, broadcast_id, old=old, new=new):
                return False
            record_audit(
                conn,
                actor_id=actor_id,
                action=f"broadcast.{verb}",
                subject=subject(broadcast_id),
                before={"state": old},
                after={"state": new},
                now=now,
            )
            return True

        return await self._db.write(work)

    async def cancel(self, actor_id: int, broadcast_id: int) -> int | None:
        """Cancel its pending messages with the reason (audited); how many, or ``None`` if it
        was neither sending nor paused."""
        now = self._clock()
        reason = f"broadcast cancelled by admin {actor_id}"

        def work(conn: sqlite3.Connection) -> int | None:
            before = units.get(conn, broadcast_id)
            cancelled = units.cancel(conn, broadcast_id, reason=reason, now=now)
            if cancelled is None or before is None:
                return None
            record_audit(
                conn,
                actor_id=actor_id,
                action="broadcast.cancel",
                subject=subject(broadcast_id),
                before={"state": before.state},
                after={"state": units.CANCELLED, "cancelled": cancelled, "reason": reason},
                now=now,
            )
            return cancelled

        return await self._db.write(work)

    # progress ---------------------------------------------------------------------------

    async def view(self, broadcast_id: int) -> tuple[str, list[tuple[str, str]]] | None:
        """The progress message's text and buttons as of now."""
        found = await self._db.read(
            lambda c: (units.get(c, broadcast_id), units.tally(c, broadcast_id))
        )
        row, tally = found
        if row is None or row.state in (units.DRAFT, units.DROPPED):
            return None
        return progress_view(row, tally, self._regions, now=self._clock(), rate=self._rate)

    async def refresh(self, broadcast_id: int) -> bool:
        """Finish it if nothing is left, then edit its progress message if the text changed;
        whether it was edited."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> tuple[BroadcastRow | None, DeliveryTally]:
            units.finish(conn, broadcast_id, now=now)
            return units.get(conn, broadcast_id), units.tally(conn, broadcast_id)

        row, tally = await self._db.write(work)
        if row is None or row.progress_chat_id is None or row.progress_message_id is None:
            return False
        html, buttons = progress_view(row, tally, self._regions, now=now, rate=self._rate)
        if html == row.progress_text:  # the text names the state, and so the buttons
            return False
        shown = await self._board.show(
            row.progress_chat_id, row.progress_message_id, html, buttons
        )
        if shown:
            await self._db.write(lambda conn: units.set_progress_text(conn, broadcast_id, html))
        return shown

    async def refresh_all(self) -> int:
        """The progress job: refresh every live broadcast; how many messages were edited."""
        live = await self._db.read(units.live)
        edited = 0
        for row in live:
            edited += await self.refresh(row.id)
        return edited


class BotBoard:
    """:class:`Board` on an aiogram ``Bot``: ``editMessageText`` with the inline buttons."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def show(
        self, chat_id: int, message_id: int, html: str, buttons: Sequence[tuple[str, str]]
    ) -> bool:
        markup = keyboard(buttons)
        try:
            await self._bot.edit_message_text(
                text=html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return True
            log.warning("broadcast progress in chat %d not shown: %s", chat_id, error.message)
            return False
        except TelegramAPIError as error:
            log.warning("broadcast progress in chat %d not shown: %s", chat_id, error.message)
            return False
        return True


def keyboard(buttons: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """The progress or confirmation buttons in one row; ``None`` without any."""
    if not buttons:
        return None
    row = [InlineKeyboardButton(text=text, callback_data=data) for text, data in buttons]
    return InlineKeyboardMarkup(inline_keyboard=[row])
