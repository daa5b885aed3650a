"""Telegram chats the bot knows, and whether it may write to them.

Each method is one unit of work on the database's thread (:meth:`Database.read` /
:meth:`Database.write`).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain.models import Chat, ChatKind
from storage.database import Database
from storage.timestamps import to_db

_CHAT_COLUMNS = "id, kind, title, language, active, inactive_reason"


def _row_to_chat(row: sqlite3.Row) -> Chat:
    return Chat(
        id=row["id"],
        kind=ChatKind(row["kind"]),
        title=row["title"],
        language=row["language"],
        active=bool(row["active"]),
        inactive_reason=row["inactive_reason"],
    )


def select_chat(connection: sqlite3.Connection, chat_id: int) -> Chat | None:
    row = connection.execute(
        f"SELECT {_CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,)
    ).fetchone()
    return None if row is None else _row_to_chat(row)


def upsert_chat(
    connection: sqlite3.Connection,
    chat_id: int,
    *,
    kind: ChatKind,
    title: str,
    language: str | None,
    now: datetime,
) -> Chat:
    """Insert the chat, or refresh its kind and title and mark it active again (its
    language, once set, stays)."""
    row = connection.execute(
        "INSERT INTO chats (id, kind, title, language, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " kind = excluded.kind, title = excluded.title, active = 1,"
        " inactive_reason = NULL, language = COALESCE(chats.language, excluded.language),"
        f" updated_at = excluded.updated_at RETURNING {_CHAT_COLUMNS}",
        (chat_id, kind.value, title, language, to_db(now), to_db(now)),
    ).fetchone()
    return _row_to_chat(row)


class ChatRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, chat_id: int) -> Chat | None:
        return await self._db.read(lambda connection: select_chat(connection, chat_id))

    async def register(
        self, chat_id: int, *, kind: ChatKind, title: str, language: str | None, now: datetime
    ) -> Chat:
        """Insert the chat, or refresh its kind and title and mark it active again."""
        return await self._db.write(
            lambda connection: upsert_chat(
                connection, chat_id, kind=kind, title=title, language=language, now=now
            )
        )

    async def set_language(self, chat_id: int, language: str, *, now: datetime) -> None:
        await self._db.write(
            lambda connection: connection.execute(
                "UPDATE chats SET language = ?, updated_at = ? WHERE id = ?",
                (language, to_db(now), chat_id),
            )
        )

    async def set_active(
        self, chat_id: int, *, active: bool, reason: str | None, now: datetime
    ) -> bool:
        """Mark a chat active or inactive. False if the chat is unknown."""

        def set_active(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE chats SET active = ?, inactive_reason = ?, updated_at = ? WHERE id = ?",
                (int(active), None if active else reason, to_db(now), chat_id),
            )
            return cursor.rowcount > 0

        return await self._db.write(set_active)

    async def migrate(self, old_id: int, new_id: int, *, now: datetime) -> bool:
        """A group became a supergroup: its subscriptions move to the new id."""
        return await self._db.write(lambda connection: _migrate(connection, old_id, new_id, now))


def _migrate(connection: sqlite3.Connection, old_id: int, new_id: int, now: datetime) -> bool:
    new_exists = connection.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,)).fetchone()
    if new_exists is None:
        cursor = connection.execute(
            "UPDATE chats SET id = ?, kind = 'supergroup', updated_at = ? WHERE id = ?",
            (new_id, to_db(now), old_id),
        )
    else:
        # The supergroup already wrote to us: keep its row, move what it lacks (a story it
        # already has stays with the old row and goes with it).
        connection.execute(
            "UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
        )
        connection.execute(
            "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
        )
        cursor = connection.execute("DELETE FROM chats WHERE id = ?", (old_id,))
    moved = cursor.rowcount > 0
    if moved:
        connection.execute(
            "INSERT INTO chats (id, kind, title, active, inactive_reason, migrated_to,"
            " created_at, updated_at) VALUES (?, 'group', '', 0, 'migrated', ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (old_id, new_id, to_db(now), to_db(now)),
        )
    return moved
