"""/settings: delivery mode, digest time and weekday, time zone, quiet hours, language.

Every option button carries the value it sets, so pressing it twice changes nothing more.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.models import Subscription
from bot.readers.subscriptions import ChoiceError, SubscriptionService
from bot.telegram.formatting import Text
from bot.telegram.i18n import current_language
from handlers.callbacks import Setting, SettingKey
from handlers.context import (
    Place,
    answer_stale,
    not_subscribed_text,
    place_of,
    pressed,
    send,
    show,
)
from handlers.keyboards import SETTINGS_MENUS, settings_keyboard, settings_submenu
from handlers.options import DIGEST_TIMES, QUIET_OFF, ZONES_BY_NAME, unpack_quiet, unpack_time
from handlers.render import settings_view


async def cmd_settings(message: Message, subscriptions: SubscriptionService) -> None:
    place = place_of(message)
    subscription = await subscriptions.get(place.chat_id, place.thread_id)
    if subscription is None:
        await send(message, Text(not_subscribed_text()))
        return
    await send(message, settings_view(subscription), settings_keyboard())


async def apply_setting(
    subscriptions: SubscriptionService, place: Place, key: SettingKey, value: str
) -> Subscription:
    """Set one option from a button; :class:`ChoiceError` unless it is one of the presets."""
    chat_id, thread_id = place.chat_id, place.thread_id
    if key is SettingKey.MODE:
        return await subscriptions.set_mode(chat_id, thread_id, value)
    if key is SettingKey.TIME:
        time = unpack_time(value)
        if time not in DIGEST_TIMES:
            raise ChoiceError(f"not a digest time preset: {value}")
        return await subscriptions.set_digest_time(chat_id, thread_id, time)
    if key is SettingKey.DAY:
        if not (value.isdigit() and len(value) == 1):
            raise ChoiceError(f"not a weekday: {value}")
        return await subscriptions.set_digest_weekday(chat_id, thread_id, int(value))
    if key is SettingKey.ZONE:
        if value not in ZONES_BY_NAME:
            raise ChoiceError(f"not a time zone preset: {value}")
        return await subscriptions.set_timezone(chat_id, thread_id, value)
    if key is SettingKey.QUIET:
        if value == QUIET_OFF:
            return await subscriptions.set_quiet_hours(chat_id, thread_id, None, None)
        hours = unpack_quiet(value)
        if hours is None:
            raise ChoiceError(f"not a quiet hours preset: {value}")
        return await subscriptions.set_quiet_hours(chat_id, thread_id, *hours)
    raise ChoiceError(f"not a setting: {key}")


async def on_setting(
    query: CallbackQuery,
    callback_data: Setting,
    bot: Bot,
    subscriptions: SubscriptionService,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    key, value = callback_data.key, callback_data.value
    if key is SettingKey.MENU:
        if value and value not in SETTINGS_MENUS:
            await answer_stale(query)
            return
        markup = (
            settings_submenu(value, press.subscription, current_language())
            if value
            else settings_keyboard()
        )
        await show(press.message, settings_view(press.subscription), markup)
        await query.answer()
        return
    try:
        subscription = await apply_setting(subscriptions, press.place, key, value)
    except ChoiceError:
        await answer_stale(query)
        return
    await show(press.message, settings_view(subscription), settings_keyboard())
    await query.answer(_("Saved"))


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_settings, Command("settings"))
    router.callback_query.register(on_setting, Setting.filter())
    return router
