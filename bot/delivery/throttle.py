"""Waiting for the pacer: one per-chat queue and one set of limits for replies and pushes.

:class:`Throttle` puts the :class:`~bot.delivery.pacing.Pacer`'s arithmetic to work with an
injected sleep, and keeps a first-come first-served *turn* per chat: whoever holds a chat's
turn (a handler's reply, with its 429 retries; or the sender's push) finishes before the next
message to that chat starts, so a retried reply can no longer overtake or be overtaken by a
later one. The order a reader sees is the order the bot decided.

Two session request middlewares put the handlers' bot under the same throttle::

    bot.session.middleware(ChatTurnMiddleware(throttle))   # outermost: the chat's turn
    bot.session.middleware(RetryAfterMiddleware())         # waits out a 429, resends
    bot.session.middleware(PacingMiddleware(throttle))     # innermost: each attempt's slot

The sender does not go through these middlewares: it takes turns and slots itself and never
sleeps on a 429 (:mod:`bot.delivery.sender`).

State is per process (one bot process per token).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import Response, TelegramMethod, TelegramType

from bot.delivery.pacing import PRIVATE_KIND, Pacer, Scope

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]

_NOT_SENDING = frozenset({"sendchataction", "sendgame", "sendinvoice"})
_COPYING = frozenset({"copymessage", "forwardmessage", "copymessages", "forwardmessages"})


def chat_kind_of(chat_id: int | str) -> str:
    """A chat's kind as far as pacing cares, from its id alone: users' ids are positive;
    groups', supergroups' and channels' negative (an ``@username`` is a channel's)."""
    if isinstance(chat_id, int) and chat_id > 0:
        return PRIVATE_KIND
    return "group"


def messages_sent_by(method: TelegramMethod[Any]) -> int:
    """How many messages the Bot API method posts (0: it posts none, e.g. an edit)."""
    name = method.__api_method__.lower()
    if name == "sendmediagroup":
        return len(getattr(method, "media", ()) or ()) or 1
    if name in _COPYING or (name.startswith("send") and name not in _NOT_SENDING):
        return 1
    return 0


class _Turn:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # asyncio's lock wakes its waiters in arrival order
        self.users = 0


class Throttle:
    """The pacer with waiting, and a first-come first-served turn per chat."""

    def __init__(self, pacer: Pacer, *, sleep: Sleep = asyncio.sleep) -> None:
        self.pacer = pacer
        self._sleep = sleep
        self._turns: dict[int | str, _Turn] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int | str) -> AsyncIterator[None]:
        """Hold the chat's turn: messages to one chat go one at a time, in arrival order."""
        turn = self._turns.get(chat_id)
        if turn is None:
            turn = self._turns[chat_id] = _Turn()
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self._turns[chat_id]

    def turn_taken(self, chat_id: int | str) -> bool:
        """Someone holds or waits for the chat's turn (a reply is being sent)."""
        return chat_id in self._turns

    async def slot(self, chat_id: int | str, chat_kind: str, *, count: int = 1) -> float:
        """Wait until ``count`` messages may go to the chat; the seconds waited."""
        key = chat_id if isinstance(chat_id, int) else hash(chat_id)
        delay = max(self.pacer.reserve(key, chat_kind) for _ in range(max(count, 1)))
        if delay > 0:
            await self._sleep(delay)
        return delay

    def note_retry_after(self, chat_id: int | str, chat_kind: str, retry_after: float) -> Scope:
        key = chat_id if isinstance(chat_id, int) else hash(chat_id)
        scope = self.pacer.note_retry_after(key, chat_kind, retry_after)
        log.info("flood control: chat %s refused for %s s; paused %s", chat_id, retry_after, scope)
        return scope


class ChatTurnMiddleware(BaseRequestMiddleware):
    """Outermost: a message request holds its chat's turn for all its attempts."""

    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None or not messages_sent_by(method):
            return await make_request(bot, method)
        async with self._throttle.turn(chat_id):
            return await make_request(bot, method)


class PacingMiddleware(BaseRequestMiddleware):
    """Innermost: each attempt waits for its slot; a 429 pauses the scope it concerns."""

    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        count = messages_sent_by(method)
        if chat_id is None or not count:
            return await make_request(bot, method)
        kind = chat_kind_of(chat_id)
        await self._throttle.slot(chat_id, kind, count=count)
        for _ in range(count):
            self._throttle.pacer.note_started()
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            self._throttle.note_retry_after(chat_id, kind, error.retry_after)
            raise


def pace_handler_bot(bot: Bot, throttle: Throttle, *, retry: BaseRequestMiddleware) -> None:
    """Register the middlewares on the handlers' bot, around its 429 retry middleware."""
    bot.session.middleware(ChatTurnMiddleware(throttle))
    bot.session.middleware(retry)
    bot.session.middleware(PacingMiddleware(throttle))
