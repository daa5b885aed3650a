"""Alerts for the people who run the bot: what needs an admin (a source disabled, a channel right
lost, repeated delivery failures, a storage fault stopping ingest), without flooding them.

Where they go: the ``ERROR_CHAT_ID`` chat (a group of admins, or one person's chat) when it is
set; otherwise each owner's private chat (``ADMIN_IDS``), since an alert nobody reads is worse
than one in a private chat. With neither, alerts are only logged.

How often (:class:`AlertGate`, pure arithmetic on an injected clock): the same ``key`` at most
once per hour (``source:12:disabled`` says it once, not every pass), and at most
``per_minute`` alerts a minute in all. What the gate holds back is counted and the next alert
that goes out says how many were held back; everything is logged either way.

Callers use one method, :meth:`AdminAlerts.alert`; it never raises (a failing alert must not
stop the ingest or the sender that reports a problem), and sends straight through the Bot,
not through the outbox, so it still works when the outbox or its sender is what is broken.
The gate's memory is per process (say so: two processes would each allow their own).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aiogram import Bot
from aiogram.types import LinkPreviewOptions
from aiogram.utils.i18n import gettext as _

from bot.domain.clock import Clock, system_clock
from bot.telegram.formatting import Text
from bot.telegram.i18n import DEFAULT_LANGUAGE, speaking

log = logging.getLogger(__name__)

REPEAT_AFTER = timedelta(hours=1)
WINDOW = timedelta(minutes=1)
DEFAULT_PER_MINUTE = 5
MAX_KEYS = 10_000
FAILURES_THRESHOLD = 5
FAILURES_WINDOW = timedelta(hours=1)
MAX_TEXT = 3_500  # an alert is one message: well under Telegram's 4096 characters

Send = Callable[[int, str], Awaitable[None]]
"""Send plain ``text`` to a chat id (the composition root builds it on the Bot); raises on a
Telegram error, which :class:`AdminAlerts` logs."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an alert goes out now, and how many were held back before it."""

    send: bool
    held_back: int = 0


class AlertGate:
    """The rate part, no I/O: per key at most once per ``repeat_after``; in all at most
    ``per_minute`` in any ``window``."""

    def __init__(
        self,
        *,
        per_minute: int = DEFAULT_PER_MINUTE,
        repeat_after: timedelta = REPEAT_AFTER,
        window: timedelta = WINDOW,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._per_minute = per_minute
        self._repeat_after = repeat_after
        self._window = window
        self._last_by_key: dict[str, datetime] = {}
        self._recent: deque[datetime] = deque()
        self._held_back = 0

    def decide(self, key: str, now: datetime) -> Decision:
        """Record an attempt at ``now`` and say whether it goes out."""
        last = self._last_by_key.get(key)
        if last is not None and now - last < self._repeat_after:
            return Decision(send=False)  # said within the hour: not even counted as held back
        while self._recent and now - self._recent[0] >= self._window:
            self._recent.popleft()
        if len(self._recent) >= self._per_minute:
            self._held_back += 1
            return Decision(send=False)
        self._recent.append(now)
        self._last_by_key[key] = now
        if len(self._last_by_key) > MAX_KEYS:
            self._forget_before(now - self._repeat_after)
        held_back, self._held_back = self._held_back, 0
        return Decision(send=True, held_back=held_back)

    def _forget_before(self, moment: datetime) -> None:
        self._last_by_key = {k: t for k, t in self._last_by_key.items() if t >= moment}


class AdminAlerts:
    """Tells the admins what needs them. One per process, built by the composition root."""

    def __init__(
        self,
        send: Send,
        *,
        chat_id: int | None,
        owner_ids: Iterable[int] = (),
        per_minute: int = DEFAULT_PER_MINUTE,
        clock: Clock = system_clock,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self._send = send
        self._language = language
        self._targets = (chat_id,) if chat_id is not None else tuple(sorted(set(owner_ids)))
        self._gate = AlertGate(per_minute=per_minute)
        self._clock = clock

    @property
    def language(self) -> str:
        """The language alerts are written in."""
        return self._language

    @property
    def targets(self) -> tuple[int, ...]:
        """The chats alerts go to: ``ERROR_CHAT_ID``, else the owners' private chats."""
        return self._targets

    async def alert(self, key: str, text: str) -> bool:
        """Report ``text`` (plain words, no HTML) unless ``key`` was reported within the hour
        or the minute's allowance is used up; True when it went out to at least one chat.

        ``key`` names the problem, not the moment: ``source:12:disabled``,
        ``channel:-100123:rights``, ``delivery:failures``, ``storage:ingest``."""
        log.warning("admin alert %s: %s", key, text)
        decision = self._gate.decide(key, self._clock())
        if not decision.send or not self._targets:
            return False
        body = "⚠️ " + text[:MAX_TEXT]
        if decision.held_back:
            with speaking(self._language):
                note = _("({count} more alerts were held back to avoid flooding; see the log.)")
            body += "\n" + note.format(count=decision.held_back)
        delivered = False
        for chat_id in self._targets:
            try:
                await self._send(chat_id, body)
            except Exception:  # noqa: BLE001 (an alert must never break its caller)
                log.exception("admin alert %s could not be sent to %s", key, chat_id)
            else:
                delivered = True
        return delivered

    async def source_disabled(self, name: str, reason: str) -> bool:
        """A source was disabled by the ingest (too many failures, or gone for good)."""
        with speaking(self._language):
            text = _("Source «{name}» was disabled: {reason}. /sources shows it.")
        return await self.alert(f"source:{name}:disabled", text.format(name=name, reason=reason))

    async def ingest_stopped(self, fault: object) -> bool:
        """The database failed: scheduled ingest stopped until the bot is restarted."""
        with speaking(self._language):
            text = _(
                "News ingest has stopped until the bot is restarted, and no source was blamed:"
                " {fault}"
            )
        return await self.alert("storage:ingest", text.format(fault=fault))


class AdminFailureWatch:
    """Counts deliveries that failed for good; when ``threshold`` of them fall within
    ``window``, the admins are told (once an hour at most, by :class:`AdminAlerts`' gate).
    A lone failure is the chat's business (its reason is stored with the delivery); many in
    a row mean something is wrong with the bot, the network or Telegram."""

    def __init__(
        self,
        alerts: AdminAlerts,
        *,
        threshold: int = FAILURES_THRESHOLD,
        window: timedelta = FAILURES_WINDOW,
        clock: Clock = system_clock,
    ) -> None:
        self._alerts = alerts
        self._threshold = threshold
        self._window = window
        self._clock = clock
        self._recent: deque[datetime] = deque()

    async def failed(self, chat_id: int, reason: str) -> bool:
        now = self._clock()
        self._recent.append(now)
        while self._recent and now - self._recent[0] > self._window:
            self._recent.popleft()
        if len(self._recent) < self._threshold:
            return False
        with speaking(self._alerts.language):
            text = _(
                "{count} deliveries failed for good within an hour; the last one, to chat"
                " {chat}: {reason}"
            )
        return await self._alerts.alert(
            "delivery:failures", text.format(count=len(self._recent), chat=chat_id, reason=reason)
        )


class Pausing(Protocol):
    async def pause(self, chat_id: int, reason: str) -> bool: ...


class AlertingChannels:
    """The channel service as the sender sees it, with ``ERROR_CHAT_ID`` told of a pause too
    (the owners already get the channel service's own notice in their chats)."""

    def __init__(self, channels: Pausing, alerts: AdminAlerts, *, error_chat_id: int | None):
        self._channels = channels
        self._alerts = alerts
        self._error_chat_id = error_chat_id

    async def pause(self, chat_id: int, reason: str) -> bool:
        paused = await self._channels.pause(chat_id, reason)
        if paused and self._error_chat_id is not None:
            with speaking(self._alerts.language):
                text = _("Posting to channel {chat} is paused: {reason}. /channels shows it.")
            await self._alerts.alert(
                f"channel:{chat_id}:rights", text.format(chat=chat_id, reason=reason)
            )
        return paused


def bot_sender(bot: Bot) -> Send:
    """:data:`Send` on a Bot: the text escaped, as one message without a link preview."""

    async def send(chat_id: int, text: str) -> None:
        await bot.send_message(
            chat_id,
            **Text(text).as_kwargs(),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    return send
