"""Multi-step dialogues (aiogram's FSM) as the database holds them: who, and how far along."""

from __future__ import annotations

from dataclasses import dataclass

NO_THREAD = 0
NO_BUSINESS_CONNECTION = ""
DEFAULT_DESTINY = "default"  # aiogram's name for the one dialogue a user has in a chat
EMPTY_DATA = "{}"


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """aiogram's ``StorageKey`` without aiogram: whose dialogue, in which chat and topic."""

    bot_id: int
    chat_id: int
    user_id: int
    thread_id: int = NO_THREAD
    business_connection_id: str = NO_BUSINESS_CONNECTION
    destiny: str = DEFAULT_DESTINY


@dataclass(frozen=True, slots=True)
class Conversation:
    """A dialogue's step (``"Draft:title"``; None: none) and its answers so far, as the JSON
    object text that is stored, so what a reader gets is what a restart would read back."""

    state: str | None = None
    data_json: str = EMPTY_DATA

    @property
    def empty(self) -> bool:
        return self.state is None and self.data_json == EMPTY_DATA


NO_CONVERSATION = Conversation()
