"""Linking channels and keeping them postable.

An admin links a channel by ``@username`` (or by forwarding one of its posts, which gives its
id). The bot asks Telegram (``getChat``, then ``getChatMember`` for itself) whether it may post
there and, if not, says exactly which right is missing. A *forum* supergroup (a group with
topics, say a chamber of commerce's with a «Новости» topic) is linked the same way and
posted to in one of its topics (:meth:`ChannelService.set_topic`); there the bot needs only
to be a member allowed to send messages. Channels have no topics; plain groups and
supergroups without topics are refused. A linked channel has rules (the same
model as any chat: its ``subscriptions`` row), a mode (instant, or batched at set times in its
zone) with a minimum gap between posts, and an optional signature line under each post.

When Telegram refuses a post for lack of rights, the sender calls :meth:`ChannelService.pause`:
the channel stops (nothing more is planned for it, what is pending is cancelled with the
reason) and every admin the bot can write to is told, through the outbox, in one transaction.

Errors (:class:`ChannelError` and below) say what is wrong; handlers put them into words::

    ChannelError
    ├── ChannelNotFound   Telegram knows no such chat (or the bot may not see it)
    ├── NotAChannel       a private chat, a basic group or a supergroup without topics
    ├── BotNotAdmin       the bot is not an administrator of the channel
    ├── BotNotMember      the bot is not a member of the forum group
    ├── MissingRight      without ``right`` (``can_post_messages``; in a forum group
    │                     ``can_send_messages``)
    ├── NoTopics          a topic was set for a channel (channels have none)
    └── UnknownChannel    not linked here
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ResultChatMemberUnion,
)
from aiogram.utils.i18n import gettext as _

from bot.delivery.slots import next_slot
from bot.domain.channels import Channel, ChannelMode
from bot.domain.clock import Clock, system_clock
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, broadcast_key
from bot.domain.models import ChatKind
from bot.telegram.formatting import Bold, Text, as_list
from bot.telegram.i18n import DEFAULT_LANGUAGE, speaking
from storage import channels as units
from storage.database import Database
from storage.outbox import cancel_pending_for_chat, enqueue
from storage.timestamps import to_db

log = logging.getLogger(__name__)

POST_RIGHT = "can_post_messages"
SEND_RIGHT = "can_send_messages"  # what the bot needs in a forum group
LANGUAGES = ("ru", "en")


class ChannelError(Exception):
    """Something about a channel an admin named is wrong; the subclass says what."""

    def __init__(self, handle: str, title: str | None = None) -> None:
        super().__init__(handle)
        self.handle = handle
        self.title = title or handle


class ChannelNotFound(ChannelError):
    pass


class NotAChannel(ChannelError):
    pass


class BotNotAdmin(ChannelError):
    pass


class BotNotMember(ChannelError):
    pass


class NoTopics(ChannelError):
    pass


class MissingRight(ChannelError):
    def __init__(self, handle: str, title: str | None, right: str) -> None:
        super().__init__(handle, title)
        self.right = right


class UnknownChannel(ChannelError):
    pass


def missing_right(member: ResultChatMemberUnion) -> str | None:
    """What the bot lacks to post in a channel, as ``member`` (its own membership) says:
    ``None`` when it may post, ``"administrator"`` when it is not one at all, else the name of
    the missing right (``can_post_messages``)."""
    if isinstance(member, ChatMemberOwner):
        return None
    if not isinstance(member, ChatMemberAdministrator):
        return "administrator"
    if not member.can_post_messages:
        return POST_RIGHT
    return None


def missing_group_right(member: ResultChatMemberUnion, chat: ChatFullInfo) -> str | None:
    """What the bot lacks to send messages in a (forum) group, as ``member`` (its own
    membership) and the group's default permissions say: ``None`` when it may send,
    ``"member"`` when it is not in the group, else ``can_send_messages``."""
    if isinstance(member, ChatMemberOwner | ChatMemberAdministrator):
        return None  # administrators are never restricted
    if isinstance(member, ChatMemberRestricted):
        if not member.is_member:
            return "member"
        return None if member.can_send_messages else SEND_RIGHT
    if isinstance(member, ChatMemberMember):
        permissions = chat.permissions
        if permissions is not None and permissions.can_send_messages is False:
            return SEND_RIGHT
        return None
    return "member"  # left or banned


def is_forum(chat: ChatFullInfo) -> bool:
    """A supergroup with topics: the only kind of group that can be an auto-post target."""
    return chat.type == ChatType.SUPERGROUP and bool(chat.is_forum)


_REFUSALS = (
    "need administrator rights",
    "not enough rights",
    "chat_write_forbidden",
    "chat_admin_required",
    "bot is not a member",
    "bot was kicked",
)


def posting_refused(description: str) -> bool:
    """Whether Telegram's error ``description`` for a post to a channel means the bot may no
    longer post there (then the sender calls :meth:`ChannelService.pause`), as opposed to a
    fault of the message or of the moment."""
    lowered = description.lower()
    return any(refusal in lowered for refusal in _REFUSALS)


class ChannelService:
    """Channels: linking with a rights check, settings, pausing. One per process, built by
    the composition root."""

    def __init__(
        self, database: Database, *, admin_ids: Collection[int], clock: Clock = system_clock
    ) -> None:
        self._db = database
        self._admin_ids = frozenset(admin_ids)
        self._clock = clock

    # linking --------------------------------------------------------------------------

    async def link(self, bot: Bot, target: int | str, *, by: int) -> Channel:
        """Check that the bot may post to ``target`` (``@username`` or a chat id of a
        channel or of a forum supergroup) and link it (again: resumes a paused channel).
        Raises a :class:`ChannelError`."""
        handle = str(target)
        try:
            chat = await bot.get_chat(target)
        except (TelegramBadRequest, TelegramForbiddenError) as error:
            raise ChannelNotFound(handle) from error
        forum = is_forum(chat)
        if chat.type != ChatType.CHANNEL and not forum:
            raise NotAChannel(handle, chat.title or chat.full_name)
        title = chat.title or handle
        if chat.username:
            handle = f"@{chat.username}"
        if forum:
            await self._check_group(bot, chat, handle, title)
        else:
            await self._check(bot, chat.id, handle, title)
        now = self._clock()
        kind = ChatKind.SUPERGROUP if forum else ChatKind.CHANNEL
        channel = await self._db.write(
            lambda connection: units.link_channel(
                connection,
                chat.id,
                title=title,
                username=chat.username,
                linked_by=by,
                now=now,
                kind=kind,
            )
        )
        log.info("channel %s (%d) linked by %d", handle, chat.id, by)
        return channel

    async def _check(self, bot: Bot, chat_id: int, handle: str, title: str) -> None:
        try:
            member = await bot.get_chat_member(chat_id, bot.id)
        except TelegramForbiddenError as error:
            raise BotNotAdmin(handle, title) from error
        except TelegramBadRequest as error:
            raise ChannelNotFound(handle, title) from error
        right = missing_right(member)
        if right == "administrator":
            raise BotNotAdmin(handle, title)
        if right is not None:
            raise MissingRight(handle, title, right)

    async def _check_group(self, bot: Bot, chat: ChatFullInfo, handle: str, title: str) -> None:
        try:
            member = await bot.get_chat_member(chat.id, bot.id)
        except TelegramForbiddenError as error:
            raise BotNotMember(handle, title) from error
        except TelegramBadRequest as error:
            raise ChannelNotFound(handle, title) from error
        right = missing_group_right(member, chat)
        if right == "member":
            raise BotNotMember(handle, title)
        if right is not None:
            raise MissingRight(handle, title, right)

    # reading and settings -------------------------------------------------------------

    async def channels(self) -> list[Channel]:
        return await self._db.read(units.list_channels)

    async def find(self, handle: str) -> Channel:
        found = await self._db.read(lambda connection: units.find_channel(connection, handle))
        if found is None:
            raise UnknownChannel(handle)
        return found

    async def set_mode(
        self,
        handle: str,
        *,
        mode: ChannelMode,
        slots: Sequence[str] = (),
        min_gap: timedelta = timedelta(0),
        timezone: str | None = None,
    ) -> Channel:
        channel = await self.find(handle)
        now = self._clock()
        changed = await self._db.write(
            lambda connection: units.set_channel_mode(
                connection,
                channel.chat_id,
                mode=mode,
                slots=slots,
                min_gap_seconds=int(min_gap.total_seconds()),
                timezone=timezone,
                now=now,
            )
        )
        if changed is None:
            raise UnknownChannel(handle)
        return changed

    async def set_rule(
        self,
        handle: str,
        *,
        regions: Collection[str] = (),
        sections: Collection[str] = (),
        topics: Collection[str] = (),
        timezone_if_unset: str | None = None,
    ) -> Channel:
        """The channel's rules become this one rule; its zone, if it had none, becomes
        ``timezone_if_unset`` (the first region's)."""
        channel = await self.find(handle)
        now = self._clock()
        changed = await self._db.write(
            lambda connection: units.set_channel_rule(
                connection,
                channel.chat_id,
                regions=regions,
                sections=sections,
                topics=topics,
                timezone_if_unset=timezone_if_unset,
                now=now,
            )
        )
        if changed is None:
            raise UnknownChannel(handle)
        return changed

    async def set_signature(self, handle: str, signature: str | None) -> Channel:
        channel = await self.find(handle)
        text = " ".join((signature or "").split()) or None
        changed = await self._db.write(
            lambda connection: units.set_channel_signature(connection, channel.chat_id, text)
        )
        if changed is None:
            raise UnknownChannel(handle)
        return changed

    async def set_topic(self, handle: str, thread_id: int | None) -> Channel:
        """Post to the forum group's topic ``thread_id`` (``None``: its General topic).
        Raises :class:`NoTopics` for a channel. Telegram offers no way to look a topic up:
        a wrong number shows when the first post there fails («message thread not found»)."""
        channel = await self.find(handle)
        if not channel.forum:
            raise NoTopics(handle, channel.title)
        changed = await self._db.write(
            lambda connection: units.set_channel_thread(connection, channel.chat_id, thread_id)
        )
        if changed is None:
            raise UnknownChannel(handle)
        return changed

    # what the sender and the planner call ---------------------------------------------

    async def pause(self, chat_id: int, reason: str) -> bool:
        """The bot may no longer post to the channel: pause it, cancel what is pending for
        it and tell the admins, in one transaction. False if it was not linked or already
        paused (the admins are told once)."""
        channel = await self._db.read(lambda connection: units.select_channel(connection, chat_id))
        if channel is None or channel.paused:
            return False
        now = self._clock()
        notices = {language: paused_notice(channel, reason, language) for language in LANGUAGES}
        admins = self._admin_ids

        def pause(connection: sqlite3.Connection) -> bool:
            if not units.pause_channel(connection, chat_id, reason=reason, now=now):
                return False
            cancel_pending_for_chat(connection, chat_id, reason=f"channel paused: {reason}")
            languages = units.active_chat_languages(connection, admins)
            enqueue(
                connection,
                [
                    PlannedDelivery(
                        chat_id=admin,
                        kind=DeliveryKind.BROADCAST,
                        dedupe_key=broadcast_key(f"channel-paused:{chat_id}:{to_db(now)}"),
                        priority=Priority.URGENT,
                        due_at=now,
                        body=notices.get(language or DEFAULT_LANGUAGE, notices[DEFAULT_LANGUAGE]),
                    )
                    for admin, language in sorted(languages.items())
                ],
                now=now,
            )
            return True

        paused = await self._db.write(pause)
        if paused:
            log.warning("channel %d paused: %s", chat_id, reason)
        return paused

    async def posted(self, chat_id: int, at: datetime) -> None:
        """The sender posted to the channel at ``at`` (the minimum gap counts from here)."""
        await self._db.write(
            lambda connection: units.record_channel_post(connection, chat_id, at=at)
        )

    @staticmethod
    def next_post_at(channel: Channel, now: datetime) -> datetime:
        """When the channel's next post may go out (see :func:`bot.delivery.slots.next_slot`)."""
        return next_slot(
            now,
            channel.timezone,
            channel.slots if channel.mode is ChannelMode.BATCHED else (),
            timedelta(seconds=channel.min_gap_seconds),
            channel.last_post_at,
        )


def paused_notice(channel: Channel, reason: str, language: str) -> str:
    """What the admins are told when posting to ``channel`` stops, as HTML."""
    with speaking(language):
        return as_list(
            Text("⏸ ", Bold(_("Posting to {channel} is paused.").format(channel=channel.title))),
            _("Telegram said: {reason}").format(reason=reason),
            _("Give the bot the right to post there, then send /channel_add {handle}.").format(
                handle=channel.handle
            ),
        ).as_html()
