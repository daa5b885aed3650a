"""/start: a short welcome, then the guided set-up; deep links subscribe in one tap.

``t.me/<bot>?start=region-RU-IRK``, ``...?start=section-practice``, ``...?start=topic-agro``
(and ``?startgroup=`` for groups). In groups anyone may /start, only administrators change.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.readers.catalog import Catalog
from bot.readers.subscriptions import ChoiceError, SubscriptionService
from bot.telegram.articles import shorten
from bot.telegram.formatting import Bold, Text, as_list
from handlers.callbacks import Flow, Part
from handlers.choices import choice_step, summary
from handlers.context import may_change, place_of, prepare, register, send
from handlers.render import MAX_RULE_CHARS, describe_rule

MAX_PAYLOAD_CHARS = 64  # Telegram's own limit for a start parameter


def welcome() -> Text:
    return as_list(
        Bold(_("Hello! I deliver industry and export news from Russia's regions.")),
        _(
            "Pick the regions, sections and topics you follow, and I will send new articles"
            " here as they appear or as a daily or weekly digest."
        ),
        _("/latest shows the newest news, /search finds articles, /help lists everything."),
    )


async def cmd_start_link(
    message: Message,
    command: CommandObject,
    bot: Bot,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    if not await may_change(message, bot):
        return
    payload = (command.args or "").strip()
    place = place_of(message)
    await register(subscriptions, message)
    try:
        if len(payload) > MAX_PAYLOAD_CHARS:
            raise ChoiceError("start parameter too long")
        subscription = await subscriptions.subscribe_deep_link(
            place.chat_id, place.thread_id, payload
        )
    except ChoiceError:
        await send(
            message,
            Text(_("This link is out of date or wrong. Send /start to set up your subscription.")),
        )
        return
    rule = subscription.current_rule
    added = shorten(describe_rule(rule, catalog), MAX_RULE_CHARS) if rule is not None else ""
    await send(
        message,
        as_list(
            Text(Bold(_("Subscribed:")), " ", added),
            Text(),
            summary(subscription, catalog, _("Your subscription")),
        ),
    )


async def cmd_start(
    message: Message, bot: Bot, subscriptions: SubscriptionService, catalog: Catalog
) -> None:
    await send(message, welcome())
    if not await may_change(message, bot):
        return
    subscription = await prepare(subscriptions, message)
    await send(
        message, *await choice_step(Part.REGIONS, subscription, catalog, flow=Flow.ONBOARDING)
    )


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_start_link, CommandStart(deep_link=True))
    router.message.register(cmd_start, CommandStart())
    return router
