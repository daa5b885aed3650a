"""Flood control for the bot's own requests: wait out a 429 and send the same request again.

Telegram answers a send past its flood limits (about one message a second in a private chat)
with ``429 Too Many Requests: retry after N``, which aiogram raises as
:class:`~aiogram.exceptions.TelegramRetryAfter` and never retries. A reader who taps fast
would then get no reply at all. :class:`RetryAfterMiddleware` is a session request middleware
(``bot.session.middleware(RetryAfterMiddleware())``) that waits the ``N`` seconds Telegram
asks for and resends, a bounded number of times and for a bounded total wait; past either
bound the ``TelegramRetryAfter`` goes up to the caller as before.

Only a 429 is retried. It means Telegram refused the request, so sending it again cannot
deliver a message twice. A 5xx or a network error may or may not have delivered (the Bot API
has no idempotency key), so those are left to the caller.

A request is resent as the same method object: files given as streams that can be read only
once should not be sent through a bot that may retry (bytes, paths and URLs are fine).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import Response, TelegramMethod, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]
"""How to wait ``seconds``: ``asyncio.sleep``, or a test's fake that moves a manual clock."""

DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_TOTAL_WAIT = 30.0


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Resend a request Telegram refused with 429 after the ``retry_after`` it asked for.

    At most ``max_retries`` resends per request, and only while the waits together stay
    within ``max_total_wait`` seconds; otherwise the last ``TelegramRetryAfter`` is raised.
    """

    def __init__(
        self,
        *,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT,
    ) -> None:
        if max_retries < 0 or max_total_wait < 0:
            raise ValueError("max_retries and max_total_wait must not be negative")
        self._sleep = sleep
        self.max_retries = max_retries
        self.max_total_wait = max_total_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        retries = 0
        waited = 0.0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                if retries >= self.max_retries or waited + wait > self.max_total_wait:
                    log.warning(
                        "%s: flood control again after %d retries and %.0f s of waiting;"
                        " giving up",
                        method.__api_method__,
                        retries,
                        waited,
                    )
                    raise
                retries += 1
                waited += wait
                log.info(
                    "%s to chat %s: flood control, retry %d of %d in %.0f s",
                    method.__api_method__,
                    getattr(method, "chat_id", None),
                    retries,
                    self.max_retries,
                    wait,
                )
                await self._sleep(wait)
