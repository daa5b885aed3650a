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

from dataclasses import dataclass

from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from aiogram.types.custom import DateTime

# Plain frozen dataclasses, which pydantic validates inside ``Response[...]`` ignoring the
# other fields: 4 µs a reply, against 16 µs as aiogram ``TelegramObject`` models (each of
# which runs Python code per object to bind the bot, which a receipt has no use for).


@dataclass(frozen=True, slots=True)
class SentChat:
    """The chat of a :class:`SentMessage`: just its id and type."""

    id: int
    type: str


@dataclass(frozen=True, slots=True)
class SentMessage:
    """What a handler may need of a message it sent or edited: which one, when, and where."""

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
