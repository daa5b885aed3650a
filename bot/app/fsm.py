"""aiogram's FSM storage over our SQLite database: multi-step dialogues survive a restart.

Why here: the adapter joins aiogram (``BaseStorage``, ``StorageKey``) to ``storage`` (the SQL),
and only the composition root may import both: ``bot.telegram`` may not import ``storage``,
``handlers`` may not import ``storage``, and ``storage`` may not import aiogram. Handlers see
only aiogram's ``FSMContext`` (the ``state`` parameter); this class is plugged in by
:func:`bot.app.runtime.bot_runtime`.

With the FSM on, aiogram asks for the state of every update that has a chat or a user, so
reads come from a bounded in-process cache (the "nothing going on" answer included) and only a
miss costs a database hop. Every write goes to the database first, then to the cache. The
cache assumes this process is the only one writing conversations to the database (one bot per
database file, as the process lock ensures).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.domain.clock import Clock, system_clock
from bot.domain.conversations import (
    NO_BUSINESS_CONNECTION,
    NO_THREAD,
    Conversation,
    ConversationKey,
)
from bot.readers.cache import BoundedCache
from storage.conversations import merge_data, select_conversation, store_data, store_state
from storage.database import Database

CONVERSATION_CACHE_SIZE = 10_000


def conversation_key(key: StorageKey) -> ConversationKey:
    return ConversationKey(
        bot_id=key.bot_id,
        chat_id=key.chat_id,
        user_id=key.user_id,
        thread_id=key.thread_id or NO_THREAD,
        business_connection_id=key.business_connection_id or NO_BUSINESS_CONNECTION,
        destiny=key.destiny,
    )


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SqliteStorage(BaseStorage):
    """FSM state and data in the ``conversations`` table of ``database``.

    Data must be plain JSON values (str, int, float, bool, None, lists, dicts with str
    keys); anything else is a TypeError when it is set. What ``get_data`` returns is always
    read back from the stored JSON, so it is the same before and after a restart.
    """

    def __init__(
        self,
        database: Database,
        *,
        clock: Clock = system_clock,
        cache_size: int = CONVERSATION_CACHE_SIZE,
    ) -> None:
        self._database = database
        self._clock = clock
        self._cache: BoundedCache[ConversationKey, Conversation] = BoundedCache(cache_size)

    async def _get(self, key: StorageKey) -> Conversation:
        conversation_of = conversation_key(key)
        cached = self._cache.get(conversation_of)
        if cached is not None:
            return cached
        stored = await self._database.read(
            lambda connection: select_conversation(connection, conversation_of)
        )
        newer = self._cache.get(conversation_of)  # written while this read waited
        if newer is not None:
            return newer
        self._cache.put(conversation_of, stored)
        return stored

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        conversation_of, name, now = conversation_key(key), _state_name(state), self._clock()
        stored = await self._database.write(
            lambda connection: store_state(connection, conversation_of, name, now=now)
        )
        self._cache.put(conversation_of, stored)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._get(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        conversation_of, now = conversation_key(key), self._clock()
        stored = await self._database.write(
            lambda connection: store_data(connection, conversation_of, data, now=now)
        )
        self._cache.put(conversation_of, stored)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((await self._get(key)).data_json)
        return data

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        conversation_of, now = conversation_key(key), self._clock()
        stored = await self._database.write(
            lambda connection: merge_data(connection, conversation_of, data, now=now)
        )
        self._cache.put(conversation_of, stored)
        merged: dict[str, Any] = json.loads(stored.data_json)
        return merged

    async def close(self) -> None:
        """Nothing to close: the database belongs to the composition root."""
