"""/my: every rule in words, each with ✏️ and ❌, ➕ to add one; mode, time zone, quiet hours."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.readers.catalog import Catalog
from bot.readers.subscriptions import MAX_RULES, ChoiceError, SubscriptionService
from bot.telegram.formatting import Text
from handlers.callbacks import Flow, Part, RuleAction
from handlers.choices import choice_step
from handlers.context import answer_stale, not_subscribed_text, place_of, pressed, send, show
from handlers.keyboards import rules_keyboard
from handlers.render import subscription_view


async def cmd_my(message: Message, subscriptions: SubscriptionService, catalog: Catalog) -> None:
    place = place_of(message)
    subscription = await subscriptions.get(place.chat_id, place.thread_id)
    if subscription is None:
        await send(message, Text(not_subscribed_text()))
        return
    view = subscription_view(subscription, catalog, title=_("Your subscription"))
    await send(message, view, rules_keyboard(subscription))


async def on_rule_action(
    query: CallbackQuery,
    callback_data: RuleAction,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    chat_id, thread_id = press.place.chat_id, press.place.thread_id
    try:
        if callback_data.verb == "rm":
            subscription = await subscriptions.remove_rule(
                chat_id, thread_id, callback_data.target
            )
            view = subscription_view(subscription, catalog, title=_("Your subscription"))
            await show(press.message, view, rules_keyboard(subscription))
            await query.answer(_("Rule removed"))
            return
        if callback_data.verb == "ed":
            subscription = await subscriptions.edit_rule(chat_id, thread_id, callback_data.target)
            flow = Flow.EDIT
        else:
            if callback_data.target != len(press.subscription.rules):
                await answer_stale(query)  # a double tap: the first one added the rule
                return
            if len(press.subscription.rules) >= MAX_RULES:
                await query.answer(
                    _("A chat can have at most {count} rules.").format(count=MAX_RULES),
                    show_alert=True,
                )
                return
            subscription = await subscriptions.new_rule(
                chat_id, thread_id, shown=callback_data.target
            )
            flow = Flow.ADD
    except ChoiceError:
        await answer_stale(query)
        return
    await show(press.message, *await choice_step(Part.REGIONS, subscription, catalog, flow=flow))
    await query.answer()


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_my, Command("my"))
    router.callback_query.register(on_rule_action, RuleAction.filter())
    return router
