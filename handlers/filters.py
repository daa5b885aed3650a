"""Filters that run on the event loop.

aiogram 3 runs every synchronous filter, a bare ``F.…`` magic filter included, through
``asyncio.to_thread``: a thread hand-off per filter per update, which on a busy bot costs more
than the handler. :func:`on_loop` wraps a magic filter in an ``async`` :class:`Filter`, so it is
checked in place. Use it for every ``F.…`` given to a router.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject, User
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


class IsAdmin(Filter):
    """The sender is one of the bot's owners: ``admin_ids`` (``frozenset[int]``) from the
    dispatcher's workflow data, i.e. the ``ADMIN_IDS`` setting.

    Set it on a ROUTER (``router.message.filter(IsAdmin())``), not on each handler, so no
    handler of an admin router can forget it; :func:`handlers.build_routers` keeps
    router-level filters. An update without a sender (a channel post) is never an admin's.
    """

    async def __call__(
        self, event: TelegramObject, admin_ids: frozenset[int] = frozenset()
    ) -> bool:
        sender = getattr(event, "from_user", None)
        return isinstance(sender, User) and sender.id in admin_ids

    def __str__(self) -> str:
        return "IsAdmin()"
