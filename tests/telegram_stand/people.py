"""People on the far side of the bot: they write messages and press buttons."""

from __future__ import annotations

from .core import StandCore
from .errors import StandUsageError
from .html_rules import bot_command_entities, parse_html
from .models import (
    ChatKind,
    MemberStatus,
    PendingQuery,
    StandChat,
    StandMessage,
    StandUser,
    StoredFile,
)


class Person:
    """A Telegram user a test acts as. Every action queues a real update for the bot."""

    def __init__(self, user: StandUser, core: StandCore) -> None:
        self.user = user
        self._core = core

    @property
    def id(self) -> int:
        return self.user.id

    def __repr__(self) -> str:
        return f"<Person {self.user.id} {self.user.first_name!r}>"

    def _check_can_see(self, chat: StandChat) -> None:
        if chat.forgotten:
            raise StandUsageError(f"{chat!r} no longer exists")
        if self.id in self._core.state.deactivated:
            raise StandUsageError(f"{self!r} is deactivated")
        if chat.is_private:
            if chat.user is None or chat.user.id != self.id:
                raise StandUsageError(f"{self!r} cannot write in another user's private chat")
            return
        if chat.migrated_to is not None:
            raise StandUsageError(f"{chat!r} was upgraded to supergroup {chat.migrated_to}")
        if chat.members.get(self.id, MemberStatus.LEFT) not in {
            MemberStatus.CREATOR,
            MemberStatus.ADMINISTRATOR,
            MemberStatus.MEMBER,
        }:
            raise StandUsageError(f"{self!r} is not a member of {chat!r}")

    async def send(
        self,
        chat: StandChat,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: StandMessage | None = None,
        html: bool = False,
    ) -> StandMessage:
        """Write ``text`` in ``chat`` (a topic of a forum with ``thread_id``).

        Commands (``/start``, ``/sub@regionews_test_bot``) get ``bot_command`` entities.
        Writing to the bot in a private chat starts the chat, like pressing Start.
        ``html=True``: ``text`` is Telegram HTML, as a client's formatting toolbar makes it
        (the message carries the text and its entities).
        """
        self._check_can_see(chat)
        if not text.strip():
            raise StandUsageError("Telegram clients do not send empty messages")
        if chat.is_private:
            if chat.bot_status is MemberStatus.KICKED:
                raise StandUsageError(f"{self!r} blocked the bot; unblock it first")
            chat.bot_status = MemberStatus.MEMBER
        if thread_id is not None and thread_id not in chat.topics:
            raise StandUsageError(f"{chat!r} has no topic {thread_id}")
        message = StandMessage(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=self.user,
            date=self._core.now_date(),
            text=text,
            entities=bot_command_entities(text),
            thread_id=thread_id,
            reply_to=reply_to,
        )
        if html:
            formatted = parse_html(text)
            message.text, message.entities = formatted.text, formatted.entity_list()
        self._core.state.store(message)
        if chat.bot_present:
            await self._core.publish("message", message.to_api())
        return message

    async def send_photo(self, chat: StandChat, *, caption: str | None = None) -> StandMessage:
        """Send a photo (an upload from the phone) to a private chat with the bot; the bot
        can send it again by its ``file_id`` (``message.media["photo"][-1]["file_id"]``)."""
        self._check_can_see(chat)
        if not chat.is_private:
            raise StandUsageError("send_photo is for a private chat with the bot")
        number = self._core.state.next_number("file")
        stored = StoredFile(f"AgACAgStandPhoto{number:06d}", "photo", 2048, "upload:photo.jpg")
        self._core.state.files[stored.file_id] = stored
        base = {"file_id": stored.file_id, "file_unique_id": f"AQAD{stored.file_id[-6:]}"}
        message = StandMessage(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=self.user,
            date=self._core.now_date(),
            media={
                "photo": [
                    {**base, "width": 90, "height": 60, "file_size": 2048},
                    {**base, "width": 1280, "height": 853, "file_size": 2048},
                ]
            },
            caption=caption,
        )
        self._core.state.store(message)
        await self._core.publish("message", message.to_api())
        return message

    async def forward_channel_post(
        self, channel: StandChat, chat: StandChat, text: str = "Пост канала"
    ) -> StandMessage:
        """Forward a post of ``channel`` into ``chat``: a message whose ``forward_origin``
        (type ``channel``) names the channel and the post."""
        if channel.kind is not ChatKind.CHANNEL:
            raise StandUsageError(f"{channel!r} is not a channel")
        self._check_can_see(chat)
        if chat.is_private:
            chat.bot_status = MemberStatus.MEMBER
        message = StandMessage(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=self.user,
            date=self._core.now_date(),
            text=text,
            forward_origin={
                "type": "channel",
                "date": self._core.now_date(),
                "chat": channel.to_api(),
                "message_id": channel.next_message_id(),
            },
        )
        self._core.state.store(message)
        if chat.bot_present:
            await self._core.publish("message", message.to_api())
        return message

    async def send_document(
        self,
        chat: StandChat,
        file_name: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> StandMessage:
        """Upload a file as a document (the bot may fetch it with getFile)."""
        self._check_can_see(chat)
        if not content:
            raise StandUsageError("Telegram clients do not send empty files")
        if chat.is_private:
            if chat.bot_status is MemberStatus.KICKED:
                raise StandUsageError(f"{self!r} blocked the bot; unblock it first")
            chat.bot_status = MemberStatus.MEMBER
        number = self._core.state.next_number("file")
        stored = StoredFile(
            f"BQACAgPerson{number:06d}", "document", len(content), file_name, content, mime_type
        )
        self._core.state.files[stored.file_id] = stored
        document: dict[str, object] = {
            "file_id": stored.file_id,
            "file_unique_id": f"AQAD{stored.file_id[-6:]}",
            "file_name": file_name,
            "file_size": len(content),
        }
        if mime_type is not None:
            document["mime_type"] = mime_type
        message = StandMessage(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=self.user,
            date=self._core.now_date(),
            caption=caption,
            media={"document": document},
        )
        self._core.state.store(message)
        if chat.bot_present:
            await self._core.publish("message", message.to_api())
        return message

    async def press(
        self,
        message: StandMessage,
        callback_data: str | None = None,
        *,
        button: str | None = None,
    ) -> str:
        """Press an inline button of ``message`` (by its ``callback_data`` or its ``button``
        text) and return the callback query id the bot must answer."""
        self._check_can_see(message.chat)
        if message.deleted:
            raise StandUsageError(f"{message!r} was deleted")
        buttons = message.buttons()
        if button is not None:
            matching = [item for item in buttons if item["text"] == button]
        else:
            matching = [item for item in buttons if item.get("callback_data") == callback_data]
        if not matching or "callback_data" not in matching[0]:
            raise StandUsageError(
                f"{message!r} has no callback button "
                f"{button or callback_data!r}; it has {message.button_texts()}"
            )
        data = str(matching[0]["callback_data"])
        query_id = str(4_000_000_000_000 + self._core.state.next_number("callback_query"))
        self._core.state.queries[query_id] = PendingQuery(
            query_id=query_id,
            person=self.user,
            message=message,
            data=data,
            created_at=self._core.clock(),
        )
        await self._core.publish(
            "callback_query",
            {
                "id": query_id,
                "from": self.user.to_api(),
                "message": message.to_api(),
                "chat_instance": str(abs(message.chat.id) * 31 + 7),
                "data": data,
            },
        )
        return query_id
