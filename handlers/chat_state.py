"""Whether the bot may write to a chat: blocks and unblocks, being added to or removed from a
group, and a group's upgrade to a supergroup (its subscriptions move to the new id).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import (
    IS_MEMBER,
    JOIN_TRANSITION,
    KICKED,
    LEAVE_TRANSITION,
    ChatMemberUpdatedFilter,
)
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.models import ChatKind
from bot.readers.subscriptions import SubscriptionService
from bot.telegram.formatting import Bold, Text, as_list
from handlers.filters import on_loop

_GROUPS = on_loop(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))


async def on_blocked(event: ChatMemberUpdated, subscriptions: SubscriptionService) -> None:
    await subscriptions.deactivate(event.chat.id, "blocked")


async def on_unblocked(event: ChatMemberUpdated, subscriptions: SubscriptionService) -> None:
    await subscriptions.reactivate(event.chat.id)


def group_greeting() -> Text:
    return as_list(
        Bold(_("Hello! I deliver industry and export news from Russia's regions.")),
        _(
            "An administrator can set up what this chat receives: send /start (in a forum, in"
            " the topic that should get the news)."
        ),
        _("Anyone can read with /latest and /search; /help lists everything."),
    )


async def on_added_to_group(event: ChatMemberUpdated, subscriptions: SubscriptionService) -> None:
    await subscriptions.register_chat(
        event.chat.id,
        kind=ChatKind(event.chat.type),
        title=event.chat.title or "",
        language_code=None,
    )
    await event.answer(**group_greeting().as_kwargs())


async def on_added_to_channel(
    event: ChatMemberUpdated, subscriptions: SubscriptionService
) -> None:
    await subscriptions.register_chat(
        event.chat.id, kind=ChatKind.CHANNEL, title=event.chat.title or "", language_code=None
    )


async def on_removed(event: ChatMemberUpdated, subscriptions: SubscriptionService) -> None:
    reason = "kicked" if event.new_chat_member.status == "kicked" else "removed"
    await subscriptions.deactivate(event.chat.id, reason)


async def on_migrated_to(message: Message, subscriptions: SubscriptionService) -> None:
    if message.migrate_to_chat_id is not None:
        await subscriptions.migrate_chat(message.chat.id, message.migrate_to_chat_id)


async def on_migrated_from(message: Message, subscriptions: SubscriptionService) -> None:
    if message.migrate_from_chat_id is not None:
        await subscriptions.migrate_chat(message.migrate_from_chat_id, message.chat.id)


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.my_chat_member.register(
        on_blocked, on_loop(F.chat.type == ChatType.PRIVATE), ChatMemberUpdatedFilter(KICKED)
    )
    router.my_chat_member.register(
        on_unblocked,
        on_loop(F.chat.type == ChatType.PRIVATE),
        ChatMemberUpdatedFilter(KICKED >> IS_MEMBER),
    )
    router.my_chat_member.register(
        on_added_to_group, _GROUPS, ChatMemberUpdatedFilter(JOIN_TRANSITION)
    )
    router.my_chat_member.register(
        on_added_to_channel,
        on_loop(F.chat.type == ChatType.CHANNEL),
        ChatMemberUpdatedFilter(JOIN_TRANSITION),
    )
    router.my_chat_member.register(
        on_removed,
        on_loop(F.chat.type != ChatType.PRIVATE),
        ChatMemberUpdatedFilter(LEAVE_TRANSITION),
    )
    router.message.register(on_migrated_to, on_loop(F.migrate_to_chat_id))
    router.message.register(on_migrated_from, on_loop(F.migrate_from_chat_id))
    return router
