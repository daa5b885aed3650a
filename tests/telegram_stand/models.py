"""What the fake Telegram remembers: people, chats, messages, calls and answers."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Message

from .keyboards import inline_buttons


@dataclass(frozen=True)
class StandUser:
    """A Telegram account: a person, or the bot itself."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        for name in ("last_name", "username", "language_code"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        return data


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class MemberStatus(enum.StrEnum):
    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    LEFT = "left"
    KICKED = "kicked"


@dataclass(eq=False)
class StandChat:
    """A chat and its live state. Private chats have ``id == user.id``."""

    id: int
    kind: ChatKind
    title: str | None = None
    user: StandUser | None = None
    username: str | None = None
    is_forum: bool = False
    bot_status: MemberStatus = MemberStatus.MEMBER
    members: dict[int, MemberStatus] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    migrated_to: int | None = None
    migrated_from: int | None = None
    forgotten: bool = False
    last_message_id: int = 0

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE

    @property
    def bot_present(self) -> bool:
        return self.bot_status in {MemberStatus.MEMBER, MemberStatus.ADMINISTRATOR}

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.kind.value}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        if self.title is not None:
            data["title"] = self.title
        if self.username and self.user is None:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def __repr__(self) -> str:
        name = self.title or (self.user.first_name if self.user else "?")
        return f"<StandChat {self.kind.value} {self.id} {name!r}>"


@dataclass(eq=False)
class StandMessage:
    """A message in a chat, as it is now (after edits and deletions)."""

    chat: StandChat
    message_id: int
    sender: StandUser
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Any] = field(default_factory=dict)
    reply_markup: dict[str, Any] | None = None
    thread_id: int | None = None
    reply_to: StandMessage | None = None
    media_group_id: str | None = None
    link_preview_options: dict[str, Any] | None = None
    forward_origin: dict[str, Any] | None = None  # a forwarded message: where it came from
    service: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False

    @property
    def body(self) -> str | None:
        """The text, or the caption of a media message."""
        return self.text if self.text is not None else self.caption

    @property
    def body_entities(self) -> list[dict[str, Any]]:
        return self.entities if self.text is not None else self.caption_entities

    @property
    def has_media(self) -> bool:
        return bool(self.media)

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button (``{"text": ..., "callback_data"/"url": ...}``), row by row."""
        return inline_buttons(self.reply_markup)

    def button_texts(self) -> list[list[str]]:
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [[button["text"] for button in row] for row in self.reply_markup["inline_keyboard"]]

    def content_key(self) -> str:
        """What ``message is not modified`` compares."""
        return json.dumps(
            [self.body, self.body_entities, self.reply_markup, self.media], sort_keys=True
        )

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
        }
        if self.chat.kind is ChatKind.CHANNEL:
            data["sender_chat"] = self.chat.to_api()
        else:
            data["from"] = self.sender.to_api()
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            data["is_topic_message"] = True
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        data.update(self.media)
        data.update(self.service)
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.link_preview_options is not None:
            data["link_preview_options"] = self.link_preview_options
        if self.forward_origin is not None:
            data["forward_origin"] = self.forward_origin
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return data

    def model(self) -> Message:
        """This message as aiogram's ``Message`` (``.text``, ``.html_text``, ``.reply_markup``)."""
        return Message.model_validate(self.to_api())

    def __repr__(self) -> str:
        return f"<StandMessage {self.chat.id}/{self.message_id} {self.body!r}>"


@dataclass(frozen=True)
class ApiCall:
    """One HTTP call the bot made, with what the stand answered."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    dropped: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    """An ``answerCallbackQuery`` the stand accepted."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class PendingQuery:
    """A button press waiting for the bot's ``answerCallbackQuery``."""

    query_id: str
    person: StandUser
    message: StandMessage
    data: str | None
    created_at: float
    answered: bool = False


@dataclass(frozen=True)
class StoredFile:
    """A file Telegram would know by ``file_id``."""

    file_id: str
    kind: str
    size: int
    source: str


@dataclass
class StandState:
    """Every person, chat, message and record of one stand."""

    bot: StandUser
    users: dict[int, StandUser] = field(default_factory=dict)
    deactivated: set[int] = field(default_factory=set)
    chats: dict[int, StandChat] = field(default_factory=dict)
    messages: dict[int, dict[int, StandMessage]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queries: dict[str, PendingQuery] = field(default_factory=dict)
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def next_number(self, series: str, start: int = 1) -> int:
        value = self.counters.get(series, start - 1) + 1
        self.counters[series] = value
        return value

    def add_chat(self, chat: StandChat) -> StandChat:
        self.chats[chat.id] = chat
        self.messages.setdefault(chat.id, {})
        return chat

    def store(self, message: StandMessage) -> StandMessage:
        self.messages.setdefault(message.chat.id, {})[message.message_id] = message
        return message

    def find_message(self, chat_id: int, message_id: int) -> StandMessage | None:
        message = self.messages.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def chat_by_username(self, username: str) -> StandChat | None:
        wanted = username.removeprefix("@").lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == wanted and not chat.is_private:
                return chat
        return None


def scope_key(scope: object) -> str:
    """A canonical key for a ``BotCommandScope`` (as JSON) or ``None`` (the default scope)."""
    if scope is None:
        return "default"
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise ValueError("scope must be a BotCommandScope object")
    parts = [scope["type"]]
    for name in ("chat_id", "user_id"):
        if scope.get(name) is not None:
            parts.append(f"{name}={scope[name]}")
    return ":".join(parts)
