"""Which language an update is answered in: the chat's stored language, else the user's
Telegram language, else Russian. The middleware only reads: it never writes to the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram import Dispatcher
from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.readers.subscriptions import SubscriptionService, user_language
from bot.telegram.i18n import DEFAULT_LANGUAGE, LOCALES_PATH, build_i18n


class ChatLanguageMiddleware(I18nMiddleware):
    """The chat's stored language, else the user's Telegram language, else Russian."""

    def __init__(self, i18n: I18n, *, subscriptions: SubscriptionService) -> None:
        super().__init__(i18n=i18n)
        self._subscriptions = subscriptions

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        chat: Chat | None = data.get("event_chat")
        if chat is not None:
            stored = await self._subscriptions.chat(chat.id)
            language = stored.language if stored is not None else None
            if language is not None and language in self.i18n.available_locales:
                return language
        user: User | None = data.get("event_from_user")
        language = user_language(user.language_code if user is not None else None)
        if language in self.i18n.available_locales:
            return language
        return DEFAULT_LANGUAGE


def setup_i18n(
    dispatcher: Dispatcher,
    *,
    subscriptions: SubscriptionService,
    locales_path: Path = LOCALES_PATH,
) -> ChatLanguageMiddleware:
    """Install the language middleware on every event of the dispatcher (and its routers)."""
    middleware = ChatLanguageMiddleware(build_i18n(locales_path), subscriptions=subscriptions)
    middleware.setup(dispatcher)
    return middleware
