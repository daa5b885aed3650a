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


def bot_sender(bot: Bot) -> Send:
    """:data:`Send` on a Bot: the text escaped, as one message without a link preview."""

    async def send(chat_id: int, text: str) -> None:
        await bot.send_message(
            chat_id,
            **Text(text).as_kwargs(),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    return send
