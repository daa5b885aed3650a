"""Filters that run on the event loop.

aiogram 3 runs every synchronous filter, a bare ``F.…`` magic filter included, through
``asyncio.to_thread``: a thread hand-off per filter per update, which on a busy bot costs more
than the handler. :func:`on_loop` wraps a magic filter in an ``async`` :class:`Filter`, so it is
checked in place. Use it for every ``F.…`` given to a router.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class _OnLoop(Filter):
    def __init__(self, magic: MagicFilter) -> None:
        self._magic = magic

    async def __call__(self, event: TelegramObject, *args: Any, **kwargs: Any) -> bool:
        return bool(self._magic.resolve(event))

    def __str__(self) -> str:
        return f"on_loop({self._magic!r})"


def on_loop(magic: MagicFilter) -> Filter:
    """``magic`` checked on the event loop instead of in a worker thread."""
    return _OnLoop(magic)
