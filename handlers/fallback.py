"""The last router: whatever no feature handled.

Private chats: any text (or anything else) gets a short hint; an unknown /command gets
«Unknown command» and /help. Groups: quiet, unless the bot is addressed (a /command@bot, a
mention or a reply to the bot). Any button press nobody took is out of date.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.telegram.formatting import Code, Text, as_list
from handlers.context import answer_stale, send
from handlers.filters import on_loop
from handlers.render import echo

MAX_COMMAND_ECHO = 32


def hint() -> Text:
    return as_list(
        _("I understand commands. Send /latest for the newest news or /search and a few words."),
        _("To choose what you receive, send /start; /help lists everything."),
    )


def unknown_command(command: str) -> Text:
    return as_list(
        Text(_("Unknown command:"), " ", Code(echo(command)[:MAX_COMMAND_ECHO])),
        _("Send /help to see what I can do."),
    )


def _command_of(text: str) -> tuple[str, str | None]:
    """``/foo@bot args`` → ("/foo", "bot")."""
    word = text.split(maxsplit=1)[0]
    command, _at, mention = word.partition("@")
    return command, mention or None


async def on_unknown_private_command(message: Message) -> None:
    command, _mention = _command_of(message.text or "/")
    await send(message, unknown_command(command))


async def on_private_text(message: Message) -> None:
    await send(message, hint())


async def _addressed(message: Message, bot: Bot) -> bool:
    """A /command@thisbot, an @thisbot mention, or a reply to one of the bot's messages."""
    me = await bot.me()
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
        return True
    text = message.text or ""
    return bool(me.username) and f"@{me.username}".lower() in text.lower()


async def on_group_text(message: Message, bot: Bot) -> None:
    if not await _addressed(message, bot):
        return
    text = message.text or ""
    if text.startswith("/"):
        command, _mention = _command_of(text)
        await send(message, unknown_command(command))
        return
    await send(message, hint())


async def on_stale_button(query: CallbackQuery) -> None:
    await answer_stale(query)


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(
        on_unknown_private_command,
        on_loop(F.chat.type == ChatType.PRIVATE),
        on_loop(F.text.startswith("/")),
    )
    router.message.register(on_private_text, on_loop(F.chat.type == ChatType.PRIVATE))
    router.message.register(on_group_text, on_loop(F.text))
    router.callback_query.register(on_stale_button)
    return router
