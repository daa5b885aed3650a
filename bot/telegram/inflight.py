"""Counting updates in flight, so shutdown lets them finish before closing the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlightUpdates(BaseMiddleware):
    """An outer update middleware: counts handlers running; :meth:`drain` waits for zero."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._running += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    async def drain(self) -> None:
        """Return once no update is being handled (wrap it in ``asyncio.timeout``)."""
        await self._idle.wait()
