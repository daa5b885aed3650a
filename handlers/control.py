"""/pause, /resume, /stop (after a confirmation), /help and /lang."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.readers.subscriptions import SubscriptionService
from bot.telegram.formatting import Bold, BotCommand, Text, as_list
from bot.telegram.i18n import current_language
from handlers.callbacks import Language, StopConfirm
from handlers.commands import PRIVATE_COMMANDS
from handlers.context import (
    answer_stale,
    may_change,
    message_of,
    not_subscribed_text,
    place_of,
    pressed,
    register,
    send,
    show,
)
from handlers.keyboards import language_keyboard, stop_keyboard
from handlers.render import language_name


def help_view() -> Text:
    return as_list(
        Bold(_("What I can do")),
        *(
            Text(BotCommand(f"/{name}"), " — ", _(description))
            for name, description in PRIVATE_COMMANDS
        ),
        Text(),
        _(
            "In groups only administrators change the subscription; in a forum each topic has its"
            " own."
        ),
    )


async def cmd_help(message: Message) -> None:
    await send(message, help_view())


async def cmd_pause(
    message: Message, command: CommandObject, bot: Bot, subscriptions: SubscriptionService
) -> None:
    if not await may_change(message, bot):
        return
    place = place_of(message)
    if await subscriptions.get(place.chat_id, place.thread_id) is None:
        await send(message, Text(not_subscribed_text()))
        return
    paused = command.command.lower() == "pause"
    await subscriptions.set_paused(place.chat_id, place.thread_id, paused=paused)
    if paused:
        await send(message, Text(_("Delivery is paused. Send /resume to continue.")))
    else:
        await send(message, Text(_("Delivery is on again.")))


async def cmd_stop(message: Message, bot: Bot, subscriptions: SubscriptionService) -> None:
    if not await may_change(message, bot):
        return
    place = place_of(message)
    if await subscriptions.get(place.chat_id, place.thread_id) is None:
        await send(message, Text(not_subscribed_text()))
        return
    await send(
        message,
        Text(_("Unsubscribe from all news here? Your rules and settings will be deleted.")),
        stop_keyboard(),
    )


async def on_stop_confirm(
    query: CallbackQuery,
    callback_data: StopConfirm,
    bot: Bot,
    subscriptions: SubscriptionService,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    if callback_data.confirm:
        await subscriptions.stop(press.place.chat_id, press.place.thread_id)
        text = _("You have unsubscribed. Send /start to subscribe again.")
    else:
        text = _("Your subscription stays as it is.")
    await show(press.message, Text(text), None)
    await query.answer()


async def cmd_lang(message: Message) -> None:
    await send(message, Text(_("Choose the language:")), language_keyboard(current_language()))


async def on_language(
    query: CallbackQuery,
    callback_data: Language,
    bot: Bot,
    subscriptions: SubscriptionService,
    i18n: I18n,
) -> None:
    message = message_of(query)
    if message is None:
        await answer_stale(query)
        return
    if not await may_change(query, bot):
        return
    await register(subscriptions, message)
    await subscriptions.set_language(message.chat.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        await show(
            message,
            Text(_("Language: {language}.").format(language=language_name(callback_data.code))),
            None,
        )
        await query.answer()


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_pause, Command("pause", "resume"))
    router.message.register(cmd_stop, Command("stop"))
    router.callback_query.register(on_stop_confirm, StopConfirm.filter())
    router.message.register(cmd_lang, Command("lang"))
    router.callback_query.register(on_language, Language.filter())
    return router
