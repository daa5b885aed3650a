"""Bot API calls whose answer is read as a small receipt instead of a whole ``Message``.

``sendMessage`` and ``editMessageText`` answer with the message as Telegram now has it, and
aiogram validates all of it (text, every entity, the whole keyboard) into a ``Message`` on
every reply, though the handlers never look at it. The methods here are aiogram's own
method classes with one change, the type the answer is read into: a :class:`SentMessage`
(which message, when, in which chat) that ignores every other field. Requests go out exactly
as aiogram's classes send them: the same ``__api_method__``, the same fields, the same JSON.

Use them like aiogram's methods: bind a bot with ``as_(bot)`` and ``await`` the typed
:meth:`~SendMessageForReceipt.receipt`.
"""

from __future__ import annotations

from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types import TelegramObject
from aiogram.types.custom import DateTime
from pydantic import ConfigDict


class SentChat(TelegramObject):
    """The chat of a :class:`SentMessage`: just its id and type."""

    model_config = ConfigDict(extra="ignore")

    id: int
    type: str


class SentMessage(TelegramObject):
    """What a handler may need of a message it sent or edited: which one, when, and where."""

    model_config = ConfigDict(extra="ignore")

    message_id: int
    date: DateTime
    chat: SentChat


def _unexpected(method: object, result: object) -> TypeError:
    return TypeError(f"{type(method).__name__} was answered with {type(result).__name__}")


class SendMessageForReceipt(SendMessage):
    """aiogram's ``SendMessage``, answered with a :class:`SentMessage`."""

    # Replacing ``Message`` is the point; ``receipt`` gives callers the type that is true.
    __returning__ = SentMessage  # type: ignore[assignment]

    async def receipt(self) -> SentMessage:
        """Send through the bound bot (see ``as_``); the sent message's receipt."""
        result: object = await self
        if isinstance(result, SentMessage):
            return result
        raise _unexpected(self, result)


class EditMessageTextForReceipt(EditMessageText):
    """aiogram's ``EditMessageText``, answered with a :class:`SentMessage` (True for an
    inline message)."""

    __returning__ = SentMessage | bool

    async def receipt(self) -> SentMessage | bool:
        """Edit through the bound bot (see ``as_``); the edited message's receipt."""
        return _edit_receipt(self, await self)


class EditMessageReplyMarkupForReceipt(EditMessageReplyMarkup):
    """aiogram's ``EditMessageReplyMarkup``, answered with a :class:`SentMessage` (True for
    an inline message)."""

    __returning__ = SentMessage | bool

    async def receipt(self) -> SentMessage | bool:
        """Edit through the bound bot (see ``as_``); the edited message's receipt."""
        return _edit_receipt(self, await self)


def _edit_receipt(method: object, result: object) -> SentMessage | bool:
    """An edit's answer: the message's receipt, or True for an inline message."""
    if isinstance(result, SentMessage | bool):
        return result
    raise _unexpected(method, result)
