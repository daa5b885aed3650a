"""The interface language: gettext catalogues in ``locales/`` and the middleware choosing one.

msgids are the English text; Russian is the default language. A chat's stored language wins,
else the language of the user's Telegram client (:func:`bot.subscriptions.user_language`).
The middleware only reads: it never writes to the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram import Dispatcher
from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n.context import get_i18n

from bot.models import Region, Section, Topic
from bot.subscriptions import SubscriptionService, user_language

LOCALES_PATH = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "ru"

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALES_PATH",
    "ChatLanguageMiddleware",
    "N_",
    "build_i18n",
    "current_language",
    "name_of",
    "setup_i18n",
]


def N_(message: str) -> str:
    """Mark a constant for the catalogue; translate it with ``_()`` where it is shown."""
    return message


def build_i18n(locales_path: Path = LOCALES_PATH) -> I18n:
    return I18n(path=locales_path, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def current_language() -> str:
    """The language of the update being handled (``ru`` outside an i18n context)."""
    i18n = get_i18n()
    return i18n.current_locale


def name_of(item: Region | Section | Topic) -> str:
    """A region's, section's or topic's name in the current language."""
    return item.name_en if current_language() == "en" else item.name


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
