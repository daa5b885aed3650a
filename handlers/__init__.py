"""Telegram in, replies out: the feature routers and what the composition root plugs in.

The composition root calls::

    dispatcher = Dispatcher(subscriptions=..., reader=..., catalog=..., admin_ids=...)
    setup_i18n(dispatcher, subscriptions=subscriptions, locales_path=LOCALES_PATH)
    dispatcher.include_routers(*build_routers())
    for (scope, language_code), commands in bot_commands().items():
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)

Handlers take their services by parameter name from the dispatcher's workflow data:
``subscriptions`` (:class:`bot.readers.subscriptions.SubscriptionService`), ``reader``
(:class:`bot.readers.reading.NewsReader`), ``catalog`` (:class:`bot.readers.catalog.Catalog`) and
``admin_ids`` (``frozenset[int]``, the owners), ``roles`` (:class:`bot.desk.roles.Roles`: owners
and editors, asked by :class:`handlers.filters.IsAdmin` and ``IsOwner``), ``channels``
(:class:`bot.delivery.channels.ChannelService`), ``stats`` (:class:`bot.desk.stats.StatsService`),
``alerts`` (:class:`bot.desk.alerts.AdminAlerts`), ``source_desk``
(:class:`bot.desk.sources.SourceDesk`), ``broadcasts``
(:class:`bot.desk.broadcasts.BroadcastDesk`) and ``posts`` (:class:`bot.desk.posts.PostDesk`).
A multi-step dialogue takes aiogram's ``state: FSMContext``; its state is kept in the database (the
composition root plugs in :class:`bot.app.fsm.SqliteStorage`), so data must be plain JSON. The
bot needs no default parse mode: every message says its own (HTML, see
:mod:`bot.telegram.formatting`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram import Router

from bot.telegram.i18n import LOCALES_PATH
from handlers import (
    admin,
    admins,
    broadcast,
    channels,
    chat_state,
    choices,
    control,
    fallback,
    my,
    posts,
    reading,
    settings,
    sources,
    start,
    stats,
)
from handlers.commands import CommandMenu, bot_commands
from handlers.language import ChatLanguageMiddleware, setup_i18n

__all__ = [
    "LOCALES_PATH",
    "ROUTER_FACTORIES",
    "ChatLanguageMiddleware",
    "CommandMenu",
    "RouterFactory",
    "bot_commands",
    "build_routers",
    "setup_i18n",
]


RouterFactory = Callable[[], Router]

ROUTER_FACTORIES: tuple[RouterFactory, ...] = (
    reading.build_router,
    choices.build_router,
    start.build_router,
    my.build_router,
    settings.build_router,
    control.build_router,
    chat_state.build_router,
    admin.build_router,
    channels.build_router,
    sources.build_router,
    admins.build_router,
    posts.build_router,
    stats.build_router,
    broadcast.build_router,
    fallback.build_router,
)
"""Every feature module's router factory, in the order updates try them (fallback last)."""


def build_routers(factories: Sequence[RouterFactory] = ROUTER_FACTORIES) -> list[Router]:
    """Fresh routers for one dispatcher, in order; the fallback comes last.

    An update goes through the routers in order until one handles it, and each router
    passed costs its filters' checks, so the ones readers use most come first (their
    commands and buttons do not overlap; the admin router lets only its owners' updates in,
    the rest go on; only the fallback must be last).

    A router can join only one parent, so every feature module builds its router in a
    factory, ``build_router() -> Router``: each call gives a new router with the module's
    handlers AND its router-level filters and middlewares (an admin router's guard, say),
    so a second Dispatcher in the same process (tests) gets the same behaviour.
    """
    return [factory() for factory in factories]
