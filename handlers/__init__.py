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
``admin_ids`` (``frozenset[int]``, unused so far). The bot needs no default parse mode:
every message says its own (HTML, see :mod:`bot.telegram.formatting`).
"""

from __future__ import annotations

from aiogram import Router

from bot.telegram.i18n import LOCALES_PATH
from handlers import (
    chat_state,
    choices,
    control,
    fallback,
    my,
    reading,
    settings,
    start,
)
from handlers.commands import CommandMenu, bot_commands
from handlers.language import ChatLanguageMiddleware, setup_i18n

__all__ = [
    "LOCALES_PATH",
    "ChatLanguageMiddleware",
    "CommandMenu",
    "bot_commands",
    "build_routers",
    "setup_i18n",
]


def build_routers() -> list[Router]:
    """Fresh routers for one dispatcher, in order; the fallback comes last.

    An update goes through the routers in order until one handles it, and each router
    passed costs its filters' checks, so the ones readers use most come first (their
    commands and buttons do not overlap; only the fallback must be last).

    Module-level routers can join only one parent, so each call builds new ones around the
    modules' handlers (a second Dispatcher in the same process, e.g. in tests, works).
    """
    modules = (reading, choices, start, my, settings, control, chat_state, fallback)
    return [_copy(module.router) for module in modules]


def _copy(source: Router) -> Router:
    copy = Router(name=source.name)
    for event_name, observer in source.observers.items():
        target = copy.observers[event_name]
        for handler in observer.handlers:
            target.handlers.append(handler)
    return copy
