"""/regions, /sections, /topics: toggle keyboards editing the chat's current rule.

The same keyboards are the first three onboarding steps (/start) and the ➕/✏️ of /my; the
``flow`` a button carries says where «Next»/«Done» leads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.models import Subscription
from bot.readers.catalog import Catalog
from bot.readers.subscriptions import ChoiceError, SubscriptionService
from bot.telegram.articles import MAX_MESSAGE_CHARS, shorten
from bot.telegram.formatting import Bold, Text, as_list
from handlers.callbacks import ChoicePage, ClearPart, Flow, Part, StepDone, Toggle, WizardMode
from handlers.context import Place, answer_stale, may_change, prepare, pressed, send, show
from handlers.keyboards import RegionPages, choice_keyboard, items_of, wizard_mode_keyboard
from handlers.render import choice_prompt, describe_rule, mode_prompt, subscription_view

_COMMAND_PARTS = {"regions": Part.REGIONS, "sections": Part.SECTIONS, "topics": Part.TOPICS}
_ONBOARDING_STEPS = {Part.REGIONS: 1, Part.SECTIONS: 2, Part.TOPICS: 3}
_NEXT_PART = {Part.REGIONS: Part.SECTIONS, Part.SECTIONS: Part.TOPICS}


async def region_pages(catalog: Catalog) -> RegionPages:
    with_news = await catalog.regions_with_news()
    districts = tuple((name, catalog.regions_in(name)) for name in catalog.districts())
    return RegionPages(with_news, districts)


async def choice_step(
    part: Part, subscription: Subscription, catalog: Catalog, *, flow: Flow, page: int = 0
) -> tuple[Text, InlineKeyboardMarkup]:
    """The text and keyboard of one choice step; :class:`ChoiceError` for a page that is gone."""
    pages = await region_pages(catalog) if part is Part.REGIONS else None
    if page >= (pages.count if pages is not None else 1):
        raise ChoiceError(f"no page {page}")
    rule = subscription.current_rule
    prompt = choice_prompt(
        part,
        rule,
        catalog,
        step=_ONBOARDING_STEPS[part] if flow is Flow.ONBOARDING else None,
        page_title=pages.title(page) if pages is not None else None,
    )
    keyboard = choice_keyboard(
        part, items_of(part, catalog, pages, page), rule, flow=flow, page=page, pages=pages
    )
    return prompt, keyboard


def summary(subscription: Subscription, catalog: Catalog, title: str) -> Text:
    return as_list(
        subscription_view(subscription, catalog, title=title),
        Text(),
        Text(_("Change it any time: /my, /regions, /sections, /topics, /settings.")),
    )


async def cmd_choose(
    message: Message,
    command: CommandObject,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    if not await may_change(message, bot):
        return
    subscription = await prepare(subscriptions, message)
    part = _COMMAND_PARTS[command.command.lower()]
    await send(message, *await choice_step(part, subscription, catalog, flow=Flow.EDIT))


async def _change_rule(
    query: CallbackQuery,
    callback_data: Toggle | ClearPart,
    *,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
    change: Callable[[Place], Awaitable[Subscription]],
) -> None:
    """One press that changes the rule being edited, then shows its keyboard again."""
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    if callback_data.rule != (press.subscription.current_rule_id or 0):
        await answer_stale(query)  # the keyboard belongs to a rule no longer being edited
        return
    try:
        subscription = await change(press.place)
    except ChoiceError:
        await answer_stale(query)
        return
    await _show_step(query, press.message, subscription, catalog, callback_data)


async def _show_step(
    query: CallbackQuery,
    message: Message,
    subscription: Subscription,
    catalog: Catalog,
    where: Toggle | ClearPart | ChoicePage,
) -> None:
    """Edit ``message`` into the choice step ``where`` points at, and answer the press."""
    try:
        step = await choice_step(
            where.part, subscription, catalog, flow=where.flow, page=where.page
        )
    except ChoiceError:
        await answer_stale(query)  # a page that no longer exists
        return
    await show(message, *step)
    await query.answer()


async def on_toggle(
    query: CallbackQuery,
    callback_data: Toggle,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    async def toggle(place: Place) -> Subscription:
        return await subscriptions.toggle(
            place.chat_id,
            place.thread_id,
            callback_data.part.rule_part,
            callback_data.value,
            selected=callback_data.selected,
        )

    await _change_rule(
        query, callback_data, bot=bot, subscriptions=subscriptions, catalog=catalog, change=toggle
    )


async def on_clear(
    query: CallbackQuery,
    callback_data: ClearPart,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    async def clear(place: Place) -> Subscription:
        return await subscriptions.clear(
            place.chat_id, place.thread_id, callback_data.part.rule_part
        )

    await _change_rule(
        query, callback_data, bot=bot, subscriptions=subscriptions, catalog=catalog, change=clear
    )


async def on_page(
    query: CallbackQuery,
    callback_data: ChoicePage,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    await _show_step(query, press.message, press.subscription, catalog, callback_data)


async def on_step_done(
    query: CallbackQuery,
    callback_data: StepDone,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    subscription, flow = press.subscription, callback_data.flow
    following = _NEXT_PART.get(callback_data.part)
    if flow is not Flow.EDIT and following is not None:
        await show(press.message, *await choice_step(following, subscription, catalog, flow=flow))
    elif flow is Flow.ONBOARDING:
        await show(press.message, mode_prompt(), wizard_mode_keyboard())
    elif flow is Flow.ADD:
        await show(press.message, summary(subscription, catalog, _("Rule added")), None)
    else:
        rule = subscription.current_rule
        saved = describe_rule(rule, catalog) if rule is not None else _("no rule")
        saved = shorten(saved, MAX_MESSAGE_CHARS - 100)
        await show(press.message, Text(Bold(_("Saved:")), " ", saved), None)
    await query.answer()


async def on_wizard_mode(
    query: CallbackQuery,
    callback_data: WizardMode,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    press = await pressed(query, bot, subscriptions)
    if press is None:
        return
    subscription = await subscriptions.set_mode(
        press.place.chat_id, press.place.thread_id, callback_data.mode.value
    )
    await show(
        press.message, summary(subscription, catalog, _("All set! Your subscription")), None
    )
    await query.answer()


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_choose, Command("regions", "sections", "topics"))
    router.callback_query.register(on_toggle, Toggle.filter())
    router.callback_query.register(on_clear, ClearPart.filter())
    router.callback_query.register(on_page, ChoicePage.filter())
    router.callback_query.register(on_step_done, StepDone.filter())
    router.callback_query.register(on_wizard_mode, WizardMode.filter())
    return router
