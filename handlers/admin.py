"""/admin: the owners' panel, the home of the editorial desk (:mod:`bot.desk`).

The guard is on the ROUTER: every message and button press reaching this router's handlers
comes from an id in ``ADMIN_IDS`` (:class:`handlers.filters.IsAdmin`), so a handler added
here later cannot forget it. For anyone else the router is not there: their /admin goes on to
the fallback, which answers «Unknown command» as for any other word.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.telegram.formatting import Bold, Text, as_list
from handlers.context import send
from handlers.filters import IsAdmin, on_loop


def panel() -> Text:
    return as_list(
        Bold(_("Admin panel…")),
        _("The editorial desk will live here: drafts, posts to channels, delivery reports."),
    )


async def cmd_admin(message: Message) -> None:
    await send(message, panel())


def build_router() -> Router:
    """A fresh admin router: its guard first, then the handlers (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_admin, Command("admin"), on_loop(F.chat.type == ChatType.PRIVATE))
    return router
