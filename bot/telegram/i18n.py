"""The interface language: gettext catalogues shipped in ``bot/telegram/locales/``.

msgids are the English text; Russian is the default language. The catalogues are package
data, so an installed wheel carries them. Which language an update gets is decided by
:class:`handlers.language.ChatLanguageMiddleware`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
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
    "speaking",
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


@lru_cache(maxsize=1)
def _shared_i18n() -> I18n:
    # Read-only catalogues, loaded once per process: safe to share, however many processes.
    return build_i18n()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """``_()`` and :func:`name_of` in ``language`` inside the block, inside an update's i18n
    context or outside any (a job rendering for a chat: the shipped catalogues)."""
    i18n = I18n.get_current(no_error=True)
    if i18n is not None:
        with i18n.use_locale(language):
            yield
        return
    i18n = _shared_i18n()
    with i18n.context(), i18n.use_locale(language):
        yield
