"""What every handler needs around a service call: where an update belongs, who may change
things there, and how to edit or answer without tripping over Telegram's edge cases.

The one admin check lives here (:func:`may_change`): private chats always may; in groups and
supergroups only the creator and administrators (an anonymous admin writing as the chat
counts), checked with ``getChatMember``. Whoever may not gets a polite refusal, as a callback
answer for buttons and as a reply for commands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.models import ChatKind, Subscription
from bot.readers.subscriptions import SubscriptionService
from bot.telegram.formatting import Text
from bot.telegram.receipts import (
    EditMessageReplyMarkupForReceipt,
    EditMessageTextForReceipt,
    SendMessageForReceipt,
    SentMessage,
)

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class Place:
    """A chat, or a forum topic of it (``thread_id`` 0 outside topics)."""

    chat_id: int
    thread_id: int


def place_of(message: Message) -> Place:
    thread_id = message.message_thread_id if message.is_topic_message else None
    return Place(message.chat.id, thread_id or 0)


def message_of(query: CallbackQuery) -> Message | None:
    """The message a button was under, unless Telegram no longer lets us touch it."""
    return query.message if isinstance(query.message, Message) else None


def stale_text() -> str:
    return _("This button is out of date. Send the command again.")


def not_subscribed_text() -> str:
    return _("This chat has no subscription. Send /start to set one up.")


async def answer_stale(query: CallbackQuery) -> None:
    await query.answer(stale_text(), show_alert=False)


async def _is_admin(bot: Bot, chat: Chat, user_id: int | None, sender_chat: Chat | None) -> bool:
    if chat.type == ChatType.PRIVATE:
        return True
    if sender_chat is not None and sender_chat.id == chat.id:
        return True  # an anonymous administrator, posting as the chat
    if user_id is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user_id)
    except TelegramBadRequest as error:
        log.info("getChatMember failed in chat %s: %s", chat.id, error.message)
        return False
    return member.status in ADMIN_STATUSES


async def may_change(event: Message | CallbackQuery, bot: Bot) -> bool:
    """True if whoever sent ``event`` may change this chat's subscription; else refuse politely.

    For a refused button press this *is* the callback's one answer.
    """
    refusal = _("Only this chat's administrators can change its subscription.")
    if isinstance(event, CallbackQuery):
        message = message_of(event)
        if message is None:
            await answer_stale(event)
            return False
        if await _is_admin(bot, message.chat, event.from_user.id, None):
            return True
        await event.answer(refusal, show_alert=True)
        return False
    user_id = event.from_user.id if event.from_user is not None else None
    if await _is_admin(bot, event.chat, user_id, event.sender_chat):
        return True
    await event.reply(refusal)
    return False


@dataclass(frozen=True, slots=True)
class ChatDetails:
    """What the service records about the chat a message came from."""

    kind: ChatKind
    title: str
    language_code: str | None


def chat_details(message: Message) -> ChatDetails:
    chat = message.chat
    return ChatDetails(
        kind=ChatKind(chat.type),
        title=chat.title or " ".join(filter(None, (chat.first_name, chat.last_name))),
        language_code=message.from_user.language_code if message.from_user else None,
    )


async def register(subscriptions: SubscriptionService, message: Message) -> None:
    """Remember the chat (and that it is active again) before its subscription is touched."""
    details = chat_details(message)
    await subscriptions.register_chat(
        message.chat.id,
        kind=details.kind,
        title=details.title,
        language_code=details.language_code,
    )


async def prepare(subscriptions: SubscriptionService, message: Message) -> Subscription:
    """The chat is known and has a subscription (created with one empty rule if missing):
    one unit of work for a new chat, nothing for one the caches know."""
    details = chat_details(message)
    place = place_of(message)
    return await subscriptions.register_and_ensure(
        place.chat_id,
        place.thread_id,
        kind=details.kind,
        title=details.title,
        language_code=details.language_code,
    )


async def send(
    message: Message, content: Text, markup: InlineKeyboardMarkup | None = None
) -> SentMessage:
    """Send into the chat (and forum topic) of ``message``, as HTML (see bot.telegram.formatting).

    The request ``message.answer(...)`` makes; Telegram's answer is read as a receipt only.
    """
    request = SendMessageForReceipt(
        chat_id=message.chat.id,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        business_connection_id=message.business_connection_id,
        **content.as_kwargs(),
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )
    return await request.as_(message.bot).receipt()


async def show(message: Message, content: Text, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a bot message in place; a double tap's "message is not modified" is fine.

    The request ``message.edit_text(...)`` makes; Telegram's answer is read as a receipt only.
    """
    request = EditMessageTextForReceipt(
        chat_id=message.chat.id,
        message_id=message.message_id,
        business_connection_id=message.business_connection_id,
        **content.as_kwargs(),
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )
    try:
        await request.as_(message.bot).receipt()
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise


async def drop_keyboard(message: Message) -> bool:
    """Take the keyboard off a message. False if it had none (a double tap).

    The request ``message.edit_reply_markup(reply_markup=None)`` makes.
    """
    request = EditMessageReplyMarkupForReceipt(
        chat_id=message.chat.id,
        message_id=message.message_id,
        business_connection_id=message.business_connection_id,
        reply_markup=None,
    )
    try:
        await request.as_(message.bot).receipt()
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise
        return False
    return True


@dataclass(frozen=True, slots=True)
class Pressed:
    """A button press that may change a subscription that still exists."""

    message: Message
    place: Place
    subscription: Subscription


async def pressed(
    query: CallbackQuery, bot: Bot, subscriptions: SubscriptionService
) -> Pressed | None:
    """Check a press before it changes anything; on None the query has had its one answer.

    The message must still be editable, the presser allowed to change this chat's
    subscription, and the subscription must exist (an old button after /stop gets a hint).
    """
    message = message_of(query)
    if message is None:
        await answer_stale(query)
        return None
    if not await may_change(query, bot):
        return None
    place = place_of(message)
    subscription = await subscriptions.get(place.chat_id, place.thread_id)
    if subscription is None:
        await query.answer(not_subscribed_text(), show_alert=True)
        return None
    return Pressed(message, place, subscription)
