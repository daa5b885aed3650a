"""Dialogue state in SQLite: the unit-of-work functions of ``storage.conversations`` and the
aiogram storage over them (``bot.app.fsm.SqliteStorage``), on a real database file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.app.fsm import SqliteStorage, conversation_key
from bot.domain.clock import ManualClock
from bot.domain.conversations import NO_CONVERSATION, Conversation, ConversationKey
from storage.conversations import merge_data, select_conversation, store_data, store_state
from storage.database import Database

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
OLGA = StorageKey(bot_id=7000000001, chat_id=1001, user_id=1001)


class Draft(StatesGroup):
    title = State()
    text = State()


@pytest_asyncio.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await Database.open(tmp_path / "regionews.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


def rows(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in connection.execute(
            "SELECT chat_id, thread_id, business_connection_id, destiny, state, data, updated_at"
            " FROM conversations ORDER BY chat_id, thread_id, destiny"
        )
    ]


async def test_state_and_data_are_kept_apart_and_an_ended_dialogue_leaves_no_row(
    database: Database,
) -> None:
    key = ConversationKey(bot_id=1, chat_id=-100500, user_id=1001, thread_id=7)

    def story(connection: sqlite3.Connection) -> list[object]:
        seen: list[object] = [select_conversation(connection, key)]
        seen.append(store_state(connection, key, "Draft:title", now=NOW))
        seen.append(store_data(connection, key, {"title": "Урожай"}, now=NOW))
        seen.append(merge_data(connection, key, {"text": "<b>&"}, now=NOW))
        seen.append(rows(connection))
        seen.append(store_state(connection, key, None, now=NOW))
        seen.append(store_data(connection, key, {}, now=NOW))
        seen.append(rows(connection))
        return seen

    seen = await database.write(story)

    assert seen == [
        NO_CONVERSATION,
        Conversation("Draft:title", "{}"),
        Conversation("Draft:title", '{"title":"Урожай"}'),
        Conversation("Draft:title", '{"text":"<b>&","title":"Урожай"}'),
        [(-100500, 7, "", "default", "Draft:title", '{"text":"<b>&","title":"Урожай"}',
          "2026-12-04T09:00:00Z")],
        Conversation(None, '{"text":"<b>&","title":"Урожай"}'),
        NO_CONVERSATION,
        [],
    ]  # fmt: skip


@pytest.mark.parametrize(
    "other",
    [
        StorageKey(bot_id=7000000001, chat_id=1001, user_id=1002),
        StorageKey(bot_id=7000000001, chat_id=-100500, user_id=1001),
        StorageKey(bot_id=7000000001, chat_id=1001, user_id=1001, thread_id=3),
        StorageKey(bot_id=7000000001, chat_id=1001, user_id=1001, business_connection_id="b1"),
        StorageKey(bot_id=7000000001, chat_id=1001, user_id=1001, destiny="desk"),
        StorageKey(bot_id=7000000002, chat_id=1001, user_id=1001),
    ],
    ids=["user", "chat", "thread", "business", "destiny", "bot"],
)
async def test_every_part_of_the_key_makes_a_separate_dialogue(
    database: Database, other: StorageKey
) -> None:
    storage = SqliteStorage(database, clock=ManualClock(NOW))
    await storage.set_state(OLGA, Draft.title)
    await storage.set_data(OLGA, {"title": "Урожай"})

    assert await storage.get_state(other) is None
    assert await storage.get_data(other) == {}
    assert conversation_key(other) != conversation_key(OLGA)


async def test_a_new_storage_on_the_same_file_reads_what_the_first_wrote(
    tmp_path: Path,
) -> None:
    path = tmp_path / "regionews.sqlite3"
    clock = ManualClock(NOW)
    first = await Database.open(path)
    storage = SqliteStorage(first, clock=clock)
    await storage.set_state(OLGA, Draft.text)
    clock.advance(timedelta(minutes=5))
    merged = await storage.update_data(OLGA, {"title": "Урожай", "tags": ("agro", "export")})
    await first.close()

    second = await Database.open(path)
    try:
        again = SqliteStorage(second, clock=clock)
        assert await again.get_state(OLGA) == "Draft:text"
        assert (
            await again.get_data(OLGA) == merged == {"title": "Урожай", "tags": ["agro", "export"]}
        )
        [row] = await second.read(rows)
        assert row[-1] == "2026-12-04T09:05:00Z"
    finally:
        await second.close()


async def test_what_a_reader_gets_cannot_change_what_is_stored(database: Database) -> None:
    storage = SqliteStorage(database, clock=ManualClock(NOW))
    await storage.set_data(OLGA, {"rules": [1, 2]})

    data = await storage.get_data(OLGA)
    data["rules"].append(3)

    assert await storage.get_data(OLGA) == {"rules": [1, 2]}


async def test_data_json_cannot_hold_is_refused_and_nothing_changes(database: Database) -> None:
    storage = SqliteStorage(database, clock=ManualClock(NOW))
    await storage.set_data(OLGA, {"title": "Урожай"})

    with pytest.raises(TypeError, match="plain JSON values"):
        await storage.set_data(OLGA, {"when": NOW})

    assert await storage.get_data(OLGA) == {"title": "Урожай"}
    assert await SqliteStorage(database).get_data(OLGA) == {"title": "Урожай"}


async def test_reads_after_the_first_come_from_memory(database: Database) -> None:
    storage = SqliteStorage(database, clock=ManualClock(NOW))
    statements: list[str] = []
    # Reads and writes go through two connections (storage.database): trace both.
    await database.read(lambda connection: connection.set_trace_callback(statements.append))
    await database.write(lambda connection: connection.set_trace_callback(statements.append))
    try:
        for _ in range(3):
            assert await storage.get_state(OLGA) is None  # a stranger: nothing going on
        await storage.set_state(OLGA, Draft.title)
        for _ in range(3):
            assert await storage.get_state(OLGA) == "Draft:title"
    finally:
        await database.read(lambda connection: connection.set_trace_callback(None))
        await database.write(lambda connection: connection.set_trace_callback(None))

    selects = [s for s in statements if s.startswith("SELECT state")]
    assert len(selects) == 2  # the first miss, and the read inside set_state's write
