"""Multi-step dialogues (aiogram's FSM state and data), one row per conversation key.

Each function is a unit of work: a plain function of a ``sqlite3.Connection``, run on the
database's thread by :meth:`Database.read` (``select_conversation``) or :meth:`Database.write`
(the rest), so several compose into one transaction. A conversation with no state and no data
has no row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.conversations import (
    EMPTY_DATA,
    NO_CONVERSATION,
    Conversation,
    ConversationKey,
)
from storage.timestamps import to_db

_KEY = (
    "bot_id = ? AND chat_id = ? AND user_id = ? AND thread_id = ?"
    " AND business_connection_id = ? AND destiny = ?"
)


def _key(key: ConversationKey) -> tuple[int, int, int, int, str, str]:
    return (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id,
        key.business_connection_id,
        key.destiny,
    )


def to_json(data: Mapping[str, Any]) -> str:
    """The stored form of a dialogue's data; a value JSON cannot hold is a TypeError."""
    try:
        return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as error:
        raise TypeError(f"a dialogue's data must be plain JSON values: {error}") from None


def select_conversation(connection: sqlite3.Connection, key: ConversationKey) -> Conversation:
    row = connection.execute(
        f"SELECT state, data FROM conversations WHERE {_KEY}", _key(key)
    ).fetchone()
    return NO_CONVERSATION if row is None else Conversation(row[0], row[1])


def _store(
    connection: sqlite3.Connection, key: ConversationKey, conversation: Conversation, now: datetime
) -> Conversation:
    if conversation.empty:
        connection.execute(f"DELETE FROM conversations WHERE {_KEY}", _key(key))
        return NO_CONVERSATION
    connection.execute(
        "INSERT INTO conversations (bot_id, chat_id, user_id, thread_id,"
        " business_connection_id, destiny, state, data, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)"
        " DO UPDATE SET state = excluded.state, data = excluded.data,"
        " updated_at = excluded.updated_at",
        (*_key(key), conversation.state, conversation.data_json, to_db(now)),
    )
    return conversation


def store_state(
    connection: sqlite3.Connection, key: ConversationKey, state: str | None, *, now: datetime
) -> Conversation:
    """Move the dialogue to ``state`` (None: it ended), keeping its data."""
    current = select_conversation(connection, key)
    return _store(connection, key, Conversation(state, current.data_json), now)


def store_data(
    connection: sqlite3.Connection,
    key: ConversationKey,
    data: Mapping[str, Any],
    *,
    now: datetime,
) -> Conversation:
    """Replace the dialogue's data, keeping its state."""
    current = select_conversation(connection, key)
    return _store(connection, key, Conversation(current.state, to_json(data)), now)


def merge_data(
    connection: sqlite3.Connection,
    key: ConversationKey,
    changes: Mapping[str, Any],
    *,
    now: datetime,
) -> Conversation:
    """``data.update(changes)`` read and written in one step (no update lost in between)."""
    current = select_conversation(connection, key)
    data = json.loads(current.data_json or EMPTY_DATA)
    data.update(changes)
    return _store(connection, key, Conversation(current.state, to_json(data)), now)
