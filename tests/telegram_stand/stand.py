"""``TelegramStand``: a strict fake Telegram the real aiogram ``Bot`` talks HTTP to."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, BotCommandScopeUnion

from .api_chats import chat_member_updated
from .core import StandCore, StandOptions
from .errors import ApiError, StandTimeout, StandUsageError, server_error
from .limits import MonotonicClock, RateLimiter, RateLimits
from .models import (
    ApiCall,
    CallbackAnswer,
    ChatKind,
    MemberStatus,
    StandChat,
    StandMessage,
    StandUser,
    scope_key,
)
from .people import Person
from .server import BotApiServer
from .updates import WebhookDelivery

DEFAULT_TOKEN = "7000000001:AAStandTestTokenForRegionewsBot0000"
BASIC_GROUP_BASE = 4_000_000_000
SUPERGROUP_BASE = 1_002_000_000_000


class StandSession(AiohttpSession):
    """aiogram's own session, minus the 0.25 s pause ``close()`` makes for TLS connections:
    the stand speaks plain HTTP on loopback, so nothing is left to drain."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class TelegramStand:
    """A fake Bot API server plus the people, chats and records tests work with.

    Use as ``async with TelegramStand() as stand:`` or through the ``telegram_stand`` fixture.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "regionews_test_bot",
        bot_name: str = "Regionews Test",
        clock: MonotonicClock = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        limits: RateLimits | None = None,
        options: StandOptions | None = None,
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        self.bot_user = StandUser(bot_id, bot_name, username=bot_username, is_bot=True)
        self._core = StandCore(
            token=token,
            bot=self.bot_user,
            clock=clock,
            wall_clock=wall_clock,
            limits=limits or RateLimits(),
            options=options or StandOptions(),
        )
        self._server = BotApiServer(self._core)
        self._core.hub.reply_executor = self._server.execute_reply
        self.token = token
        self.clock = clock

    # Life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if not self._server.base_url:
            raise RuntimeError("the stand is not started")
        return self._server.base_url

    async def start(self) -> Self:
        await self._server.start()
        return self

    async def close(self) -> None:
        """End long polls at once, stop webhook delivery, stop the server."""
        await self._core.close()
        await self._server.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def make_bot(self, *, parse_mode: str | None = "HTML", **session_options: Any) -> Bot:
        """A real aiogram ``Bot`` talking to this stand; the caller closes its session."""
        session = StandSession(api=TelegramAPIServer.from_base(self.base_url), **session_options)
        return Bot(
            self.token, session=session, default=DefaultBotProperties(parse_mode=parse_mode)
        )

    # Configuration ----------------------------------------------------------------------

    @property
    def limits(self) -> RateLimits:
        return self._core.limiter.limits

    def set_limits(self, limits: RateLimits) -> None:
        """Replace the flood limits (counting starts afresh)."""
        self._core.limiter = RateLimiter(limits, self.clock)

    @property
    def supported_methods(self) -> list[str]:
        return self._server.method_names

    # People and chats -------------------------------------------------------------------

    def user(
        self,
        id: int,
        first_name: str,
        language_code: str | None = "ru",
        username: str | None = None,
        *,
        last_name: str | None = None,
    ) -> Person:
        if id in self._core.state.users or id == self.bot_user.id or id <= 0:
            raise StandUsageError(f"user id {id} is taken or invalid")
        user = StandUser(id, first_name, username, language_code, last_name)
        self._core.state.users[id] = user
        return Person(user, self._core)

    def private_chat(self, person: Person, *, started: bool = True) -> StandChat:
        """The person's chat with the bot; ``started=False`` until they write to it."""
        existing = self._core.state.chats.get(person.id)
        if existing is not None:
            return existing
        status = MemberStatus.MEMBER if started else MemberStatus.LEFT
        return self._core.state.add_chat(
            StandChat(person.id, ChatKind.PRIVATE, user=person.user, bot_status=status)
        )

    def group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        forum: bool = False,
        owner: Person | None = None,
        admins: Iterable[Person] = (),
        members: Iterable[Person] = (),
        username: str | None = None,
        bot_member: bool = True,
        bot_admin: bool = False,
    ) -> StandChat:
        """A group (``supergroup=True`` or ``forum=True`` for a supergroup) the bot is in
        (unless ``bot_member=False``; then use ``add_bot_to_group``)."""
        supergroup = supergroup or forum
        number = self._core.state.next_number("group")
        chat = StandChat(
            -(SUPERGROUP_BASE + number) if supergroup else -(BASIC_GROUP_BASE + number),
            ChatKind.SUPERGROUP if supergroup else ChatKind.GROUP,
            title=title,
            username=username,
            is_forum=forum,
            bot_status=(
                MemberStatus.ADMINISTRATOR
                if bot_admin
                else MemberStatus.MEMBER
                if bot_member
                else MemberStatus.LEFT
            ),
        )
        if owner is not None:
            chat.members[owner.id] = MemberStatus.CREATOR
        for person in admins:
            chat.members.setdefault(person.id, MemberStatus.ADMINISTRATOR)
        for person in members:
            chat.members.setdefault(person.id, MemberStatus.MEMBER)
        return self._core.state.add_chat(chat)

    def channel(
        self,
        title: str,
        *,
        username: str | None = None,
        owner: Person | None = None,
        bot_admin: bool = True,
    ) -> StandChat:
        """A channel; the bot can post only as its administrator."""
        number = self._core.state.next_number("group")
        chat = StandChat(
            -(SUPERGROUP_BASE + number),
            ChatKind.CHANNEL,
            title=title,
            username=username,
            bot_status=MemberStatus.ADMINISTRATOR if bot_admin else MemberStatus.MEMBER,
        )
        if owner is not None:
            chat.members[owner.id] = MemberStatus.CREATOR
        return self._core.state.add_chat(chat)

    def create_topic(self, forum: StandChat, name: str) -> int:
        """Open a topic in a forum supergroup; returns its ``message_thread_id``."""
        if not forum.is_forum:
            raise StandUsageError(f"{forum!r} is not a forum")
        thread_id = forum.next_message_id()
        forum.topics[thread_id] = name
        return thread_id

    # Things that happen to the bot ------------------------------------------------------

    async def _bot_status_change(
        self, chat: StandChat, actor: Person | StandUser, new: MemberStatus
    ) -> None:
        old = chat.bot_status
        chat.bot_status = new
        user = actor.user if isinstance(actor, Person) else actor
        await self._core.publish(
            "my_chat_member", chat_member_updated(self._core, chat, user, old, new)
        )

    async def block_bot(self, person: Person) -> None:
        """The person blocks the bot: a ``my_chat_member`` update (member -> kicked); sends
        to them then fail with 403 "bot was blocked by the user"."""
        await self._bot_status_change(self.private_chat(person), person, MemberStatus.KICKED)

    async def unblock_bot(self, person: Person) -> None:
        await self._bot_status_change(self.private_chat(person), person, MemberStatus.MEMBER)

    async def add_bot_to_group(
        self, group: StandChat, *, by: Person, as_admin: bool = False
    ) -> None:
        new = MemberStatus.ADMINISTRATOR if as_admin else MemberStatus.MEMBER
        await self._bot_status_change(group, by, new)

    async def set_bot_admin(self, group: StandChat, *, by: Person, admin: bool = True) -> None:
        new = MemberStatus.ADMINISTRATOR if admin else MemberStatus.MEMBER
        await self._bot_status_change(group, by, new)

    async def remove_bot_from_group(self, group: StandChat, *, by: Person) -> None:
        """An admin removes the bot: sends then fail with 403 "bot was kicked from ..."."""
        await self._bot_status_change(group, by, MemberStatus.KICKED)

    async def migrate_group(self, group: StandChat, *, by: Person | None = None) -> StandChat:
        """Upgrade a basic group to a supergroup; sends to the old id then answer 400 with
        ``migrate_to_chat_id``. Both chats get their service message as an update."""
        if group.kind is not ChatKind.GROUP or group.migrated_to is not None:
            raise StandUsageError(f"{group!r} is not a basic group")
        number = self._core.state.next_number("group")
        new = self._core.state.add_chat(
            StandChat(
                -(SUPERGROUP_BASE + number),
                ChatKind.SUPERGROUP,
                title=group.title,
                bot_status=group.bot_status,
                members=dict(group.members),
                migrated_from=group.id,
            )
        )
        group.migrated_to = new.id
        actor = by.user if by else self._any_member(group)
        for chat, field, value in (
            (group, "migrate_to_chat_id", new.id),
            (new, "migrate_from_chat_id", group.id),
        ):
            message = self._core.state.store(
                StandMessage(
                    chat=chat,
                    message_id=chat.next_message_id(),
                    sender=actor,
                    date=self._core.now_date(),
                    service={field: value},
                )
            )
            if new.bot_present:
                await self._core.publish("message", message.to_api())
        return new

    def _any_member(self, chat: StandChat) -> StandUser:
        for user_id, status in chat.members.items():
            if status is MemberStatus.CREATOR:
                return self._core.state.users[user_id]
        if chat.members:
            return self._core.state.users[next(iter(chat.members))]
        return self.bot_user

    def deactivate(self, person: Person) -> None:
        """The account is deleted: sends answer 403 "user is deactivated"."""
        self._core.state.deactivated.add(person.id)

    def forget_chat(self, chat: StandChat) -> None:
        """The chat disappears: every method answers 400 "chat not found"."""
        chat.forgotten = True

    # Scripted faults --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        error_code: int = 500,
        description: str = "Internal Server Error",
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error (default a 500)."""
        error = server_error(error_code, description)
        if parameters:
            error = ApiError(error_code, description, parameters)
        self._core.faults.add(method, times, error)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without an answer on the next ``times`` calls of ``method``
        (the method does not run: nothing is sent)."""
        self._core.faults.add(method, times, None)

    # What the bot did -------------------------------------------------------------------

    def messages_in(
        self, chat: StandChat, thread_id: int | None = None, *, include_people: bool = False
    ) -> list[StandMessage]:
        """The bot's messages in ``chat`` as they are now (edited, minus deleted), oldest
        first; only one forum topic with ``thread_id``; people's too with ``include_people``."""
        return [
            message
            for message in sorted(
                self._core.state.messages.get(chat.id, {}).values(),
                key=lambda message: message.message_id,
            )
            if not message.deleted
            and (include_people or message.sender.id == self.bot_user.id)
            and (thread_id is None or message.thread_id == thread_id)
        ]

    async def wait_for_messages(
        self,
        chat: StandChat,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109  (a deadline for the condition, not I/O)
        *,
        thread_id: int | None = None,
    ) -> list[StandMessage]:
        """Wait until the bot has at least ``count`` messages in ``chat``; return them all."""
        if not await self._core.changed.wait_until(
            lambda: len(self.messages_in(chat, thread_id)) >= count, timeout
        ):
            seen = self.messages_in(chat, thread_id)
            raise StandTimeout(
                f"expected {count} bot message(s) in {chat!r} within {timeout}s, "
                f"got {len(seen)}: {[message.body for message in seen]}"
            )
        return self.messages_in(chat, thread_id)

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109  (a deadline for the condition, not I/O)
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every call and update."""
        if not await self._core.changed.wait_until(predicate, timeout):
            raise StandTimeout(f"condition not met within {timeout}s")

    def file_content(self, message: StandMessage) -> bytes:
        """The bytes of the document (or other file) a message carries, as sent."""
        for kind in ("document", "audio", "video"):
            item = message.media.get(kind)
            if isinstance(item, dict):
                return self._core.state.files[str(item["file_id"])].content
        raise StandUsageError(f"{message!r} carries no file")

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return list(self._core.state.callback_answers)

    def answer_for(self, query_id: str) -> CallbackAnswer | None:
        for answer in self._core.state.callback_answers:
            if answer.callback_query_id == query_id:
                return answer
        return None

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every call the bot made (or those of one method, any letter case), in order."""
        return [
            call
            for call in self._core.state.calls
            if method is None or call.method.lower() == method.lower()
        ]

    def commands(
        self,
        scope: BotCommandScopeUnion | dict[str, Any] | None = None,
        language_code: str = "",
    ) -> list[BotCommand]:
        """The command menu set for exactly this scope and language (no fallback)."""
        raw_scope = scope if isinstance(scope, dict) or scope is None else scope.model_dump()
        stored = self._core.state.commands.get((scope_key(raw_scope), language_code), [])
        return [BotCommand.model_validate(command) for command in stored]

    @property
    def polling(self) -> bool:
        """Whether a ``getUpdates`` long poll is waiting right now (use with ``wait_for``)."""
        return self._core.hub.polling

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by ``getUpdates`` or the webhook."""
        return self._core.hub.pending

    @property
    def dropped_updates(self) -> list[dict[str, Any]]:
        """Updates ``allowed_updates`` filtered out when they were created."""
        return list(self._core.hub.dropped)

    @property
    def webhook_url(self) -> str | None:
        webhook = self._core.hub.webhook
        return webhook.url if webhook else None

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return list(self._core.hub.deliveries)

    async def flush_webhook(self) -> None:
        """Retry delivering queued updates to the webhook (after it failed earlier)."""
        await self._core.hub.flush_webhook()
