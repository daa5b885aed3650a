"""The interface language: gettext catalogues shipped in ``bot/telegram/locales/``.

msgids are the English text; Russian is the default language. The catalogues are package
data, so an installed wheel carries them. Which language an update gets is decided by
:class:`handlers.language.ChatLanguageMiddleware`.
"""

from __future__ import annotations

from pathlib import Path

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n.context import get_i18n

from bot.domain.models import Region, Section, Topic

LOCALES_PATH = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "ru"

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALES_PATH",
    "N_",
    "build_i18n",
    "current_language",
    "name_of",
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
