"""Telegram chats the bot knows, and whether it may write to them."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.models import Chat, ChatKind
from storage.database import Database
from storage.timestamps import to_db


def _row_to_chat(row: aiosqlite.Row) -> Chat:
    return Chat(
        id=row["id"],
        kind=ChatKind(row["kind"]),
        title=row["title"],
        language=row["language"],
        active=bool(row["active"]),
        inactive_reason=row["inactive_reason"],
    )


class ChatRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, chat_id: int) -> Chat | None:
        async with self._db.connection.execute(
            "SELECT id, kind, title, language, active, inactive_reason FROM chats WHERE id = ?",
            (chat_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _row_to_chat(row)

    async def register(
        self, chat_id: int, *, kind: ChatKind, title: str, language: str | None, now: datetime
    ) -> Chat:
        """Insert the chat, or refresh its kind and title and mark it active again."""
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO chats (id, kind, title, language, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " kind = excluded.kind, title = excluded.title, active = 1,"
                " inactive_reason = NULL, language = COALESCE(chats.language, excluded.language),"
                " updated_at = excluded.updated_at",
                (chat_id, kind.value, title, language, to_db(now), to_db(now)),
            )
        chat = await self.get(chat_id)
        if chat is None:
            raise RuntimeError(f"chat {chat_id} vanished right after it was saved")
        return chat

    async def set_language(self, chat_id: int, language: str, *, now: datetime) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE chats SET language = ?, updated_at = ? WHERE id = ?",
                (language, to_db(now), chat_id),
            )

    async def set_active(
        self, chat_id: int, *, active: bool, reason: str | None, now: datetime
    ) -> bool:
        """Mark a chat active or inactive. False if the chat is unknown."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE chats SET active = ?, inactive_reason = ?, updated_at = ? WHERE id = ?",
                (int(active), None if active else reason, to_db(now), chat_id),
            )
            return cursor.rowcount > 0

    async def migrate(self, old_id: int, new_id: int, *, now: datetime) -> bool:
        """A group became a supergroup: its subscriptions move to the new id."""
        async with self._db.transaction() as connection:
            async with connection.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,)) as cur:
                new_exists = await cur.fetchone() is not None
            if not new_exists:
                cursor = await connection.execute(
                    "UPDATE chats SET id = ?, kind = 'supergroup', updated_at = ? WHERE id = ?",
                    (new_id, to_db(now), old_id),
                )
                moved = cursor.rowcount > 0
            else:
                # The supergroup already wrote to us: keep its row, move what it lacks.
                await connection.execute(
                    "UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_id = ?",
                    (new_id, old_id),
                )
                cursor = await connection.execute("DELETE FROM chats WHERE id = ?", (old_id,))
                moved = cursor.rowcount > 0
            if moved:
                await connection.execute(
                    "INSERT INTO chats (id, kind, title, active, inactive_reason, migrated_to,"
                    " created_at, updated_at) VALUES (?, 'group', '', 0, 'migrated', ?, ?, ?)"
                    " ON CONFLICT (id) DO NOTHING",
                    (old_id, new_id, to_db(now), to_db(now)),
                )
            return moved
