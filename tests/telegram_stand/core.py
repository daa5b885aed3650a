"""The stand's shared state and the checks every Bot API method makes before acting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request, forbidden, migrated, too_many_requests
from .faults import FaultPlan
from .limits import MonotonicClock, RateLimiter, RateLimits
from .models import ChatKind, MemberStatus, StandChat, StandMessage, StandState, StandUser
from .params import Params
from .signals import ChangeSignal
from .updates import UpdateHub

_CHAT_NOUN = {
    ChatKind.GROUP: "group chat",
    ChatKind.SUPERGROUP: "supergroup chat",
    ChatKind.CHANNEL: "channel chat",
}


@dataclass(frozen=True)
class StandOptions:
    """Behaviour switches; the defaults are the strict ones."""

    strict_ampersand: bool = True
    """Reject a bare ``&`` in HTML (Telegram keeps it as text)."""
    callback_query_ttl: float = 15.0
    """Seconds (on the stand's clock) a button press can still be answered."""


class StandCore:
    """State, clocks, limits and update queue, shared by the API and the people."""

    def __init__(
        self,
        *,
        token: str,
        bot: StandUser,
        clock: MonotonicClock,
        wall_clock: Callable[[], float],
        limits: RateLimits,
        options: StandOptions,
    ) -> None:
        self.token = token
        self.state = StandState(bot=bot)
        self.clock = clock
        self.wall_clock = wall_clock
        self.limiter = RateLimiter(limits, clock)
        self.options = options
        self.changed = ChangeSignal()
        self.hub = UpdateHub(wall_clock, self.changed)
        self.faults = FaultPlan()
        self._background: set[asyncio.Task[None]] = set()

    def now_date(self) -> int:
        return int(self.wall_clock())

    def notify(self) -> None:
        self.changed.notify()

    async def publish(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update from a person's action and, in webhook mode, deliver it now."""
        update = self.hub.publish(kind, payload)
        self.notify()
        if self.hub.webhook is not None:
            await self.hub.flush_webhook()
        return update

    def publish_soon(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue an update caused by an API call; webhook delivery happens after the answer."""
        self.hub.publish(kind, payload)
        self.notify()
        self.flush_soon()

    def flush_soon(self) -> None:
        """Deliver queued updates to the webhook (if one is set) after the current answer."""
        if self.hub.webhook is not None:
            task = asyncio.get_running_loop().create_task(self.hub.flush_webhook())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.hub.close()

    # Checks shared by the methods -------------------------------------------------------

    def resolve_chat(self, params: Params, name: str = "chat_id") -> StandChat:
        ref = params.chat_ref(name)
        chat = (
            self.state.chat_by_username(ref) if isinstance(ref, str) else self.state.chats.get(ref)
        )
        if chat is None or chat.forgotten:
            raise bad_request("chat not found")
        return chat

    def check_access(self, chat: StandChat) -> None:
        """What Telegram answers when the bot may not act in this chat at all."""
        if chat.migrated_to is not None:
            raise migrated(chat.migrated_to)
        if chat.is_private:
            assert chat.user is not None
            if chat.user.id in self.state.deactivated:
                raise forbidden("user is deactivated")
            if chat.bot_status is MemberStatus.KICKED:
                raise forbidden("bot was blocked by the user")
            if chat.bot_status is MemberStatus.LEFT:
                raise forbidden("bot can't initiate conversation with a user")
            return
        if chat.bot_status is MemberStatus.KICKED:
            raise forbidden(f"bot was kicked from the {_CHAT_NOUN[chat.kind]}")
        if chat.bot_status is MemberStatus.LEFT:
            raise forbidden(f"bot is not a member of the {_CHAT_NOUN[chat.kind]}")

    def sendable_chat(self, params: Params) -> StandChat:
        chat = self.resolve_chat(params)
        self.check_access(chat)
        if chat.kind is ChatKind.CHANNEL and chat.bot_status is not MemberStatus.ADMINISTRATOR:
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def thread_for(self, chat: StandChat, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id is None:
            return None
        if not chat.is_forum or thread_id not in chat.topics:
            raise bad_request("message thread not found")
        return thread_id

    def reply_target(self, chat: StandChat, params: Params) -> StandMessage | None:
        reply = params.json_value("reply_parameters", what="reply parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.integer("reply_to_message_id")
            allow_missing = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        target = (
            self.state.find_message(chat.id, message_id) if isinstance(message_id, int) else None
        )
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def charge(self, chat: StandChat, count: int = 1) -> None:
        retry_after = self.limiter.acquire(chat.id, private=chat.is_private, count=count)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def message_for_change(
        self, params: Params, *, missing: str, own_only: bool = True
    ) -> StandMessage:
        """The message an edit (``missing`` = "message to edit not found") applies to."""
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.resolve_chat(params)
        self.check_access(chat)
        message_id = params.required_integer("message_id", "message identifier is not specified")
        message = self.state.find_message(chat.id, message_id)
        if message is None:
            raise bad_request(missing)
        if own_only and message.sender.id != self.state.bot.id:
            raise bad_request("message can't be edited")
        return message
