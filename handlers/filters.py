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

from bot.desk.roles import Roles


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


def _sender_id(event: TelegramObject) -> int | None:
    sender = getattr(event, "from_user", None)
    return sender.id if isinstance(sender, User) else None


class IsAdmin(Filter):
    """The sender is an admin: an owner (``ADMIN_IDS``) or an editor.

    Asks the ``roles`` service (:class:`bot.desk.roles.Roles`) from the dispatcher's workflow
    data; a dispatcher without one (older tests, a bot without the desk) falls back to
    ``admin_ids`` (``frozenset[int]``, the owners only).

    Set it on a ROUTER (``router.message.filter(IsAdmin())`` and
    ``router.callback_query.filter(IsAdmin())``), not on each handler, so no handler of an
    admin router can forget it; :func:`handlers.build_routers` keeps router-level filters. An
    update without a sender (a channel post) is never an admin's.
    """

    async def __call__(
        self,
        event: TelegramObject,
        admin_ids: frozenset[int] = frozenset(),
        roles: Roles | None = None,
    ) -> bool:
        sender = _sender_id(event)
        if sender is None:
            return False
        if roles is not None:
            return await roles.is_admin(sender)
        return sender in admin_ids

    def __str__(self) -> str:
        return "IsAdmin()"


class IsOwner(Filter):
    """The sender is an owner (``ADMIN_IDS``): for what editors may not do (managing editors).

    Put it on the owner-only HANDLERS of an admin router (the router's :class:`IsAdmin` has
    already let only admins in), or on a whole owners' router.
    """

    async def __call__(
        self,
        event: TelegramObject,
        admin_ids: frozenset[int] = frozenset(),
        roles: Roles | None = None,
    ) -> bool:
        sender = _sender_id(event)
        if sender is None:
            return False
        if roles is not None:
            return roles.is_owner(sender)
        return sender in admin_ids

    def __str__(self) -> str:
        return "IsOwner()"
