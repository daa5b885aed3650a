"""The gettext catalogues: the same msgids in every language, nothing untranslated, every
string the handlers mark is in them, and the compiled .mo files say what the .po files say."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from aiogram.types import Chat, Update, User
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.domain.models import Chat as BotChat
from bot.domain.models import ChatKind
from bot.readers.subscriptions import SubscriptionService
from bot.telegram.i18n import LOCALES_PATH, build_i18n
from handlers.language import ChatLanguageMiddleware

LANGUAGES = ("ru", "en")
ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = (ROOT / "handlers", ROOT / "bot")  # every package whose texts a reader sees


def catalog(language: str, suffix: str = "po") -> Catalog:
    path = LOCALES_PATH / language / "LC_MESSAGES" / f"messages.{suffix}"
    with path.open("rb") as file:
        return read_po(file) if suffix == "po" else read_mo(file)


def msgids(messages: Catalog) -> set[str]:
    return {str(message.id) for message in messages if message.id}


def marked_in_code() -> set[str]:
    marked: set[str] = set()
    for directory in TRANSLATED:
        found = extract_from_dir(
            str(directory),
            keywords={"_": None, "N_": None},
            comment_tags=(),
            strip_comment_tags=True,
        )
        marked |= {str(message) for _filename, _line, message, _comments, _context in found}
    return marked


def test_every_language_has_the_same_msgids() -> None:
    assert msgids(catalog("ru")) == msgids(catalog("en"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_is_left_untranslated(language: str) -> None:
    empty = [message.id for message in catalog(language) if message.id and not message.string]
    assert empty == []


def test_the_catalogue_holds_every_marked_string() -> None:
    assert marked_in_code() == msgids(catalog("ru"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    source = {str(m.id): m.string for m in catalog(language) if m.id}
    compiled = {str(m.id): m.string for m in catalog(language, "mo") if m.id}
    assert compiled == source


def test_russian_is_russian() -> None:
    messages = catalog("ru")
    stale = messages["This button is out of date. Send the command again."].string
    assert isinstance(stale, str)
    assert stale.startswith("Эта кнопка устарела")
    assert messages["Next ➡️"].string == "Далее ➡️"


class _StoredLanguages:
    """Stands in for SubscriptionService.chat(): only the stored languages matter here."""

    def __init__(self, languages: dict[int, str | None]) -> None:
        self._languages = languages

    async def chat(self, chat_id: int) -> BotChat | None:
        if chat_id not in self._languages:
            return None
        return BotChat(chat_id, ChatKind.PRIVATE, "", self._languages[chat_id], active=True)


@pytest.mark.parametrize(
    ("stored", "client", "expected"),
    [
        ({1: "en"}, "ru", "en"),  # the chat's choice wins
        ({1: None}, "en-GB", "en"),  # else the user's Telegram language
        ({}, "de", "ru"),  # Russian for anything else
        ({}, None, "ru"),
    ],
)
async def test_the_middleware_picks_the_chat_language(
    stored: dict[int, str | None], client: str | None, expected: str
) -> None:
    middleware = ChatLanguageMiddleware(
        build_i18n(LOCALES_PATH), subscriptions=cast(SubscriptionService, _StoredLanguages(stored))
    )
    data: dict[str, Any] = {
        "event_chat": Chat(id=1, type="private"),
        "event_from_user": User(id=1, is_bot=False, first_name="A", language_code=client),
    }
    assert await middleware.get_locale(Update(update_id=1), data) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_msgid_is_translated_twice(language: str) -> None:
    # Two branches adding the same text with different translations merge into a catalogue
    # that compiles, and the later one silently wins: say which texts are doubled.
    path = LOCALES_PATH / language / "LC_MESSAGES" / "messages.po"
    entries = path.read_text("utf-8").split("\n\n")
    msgids = [
        entry[entry.index("msgid") : entry.index("msgstr")]
        for entry in entries
        if "msgstr" in entry
    ]
    doubled = sorted({msgid for msgid in msgids if msgids.count(msgid) > 1})
    assert doubled == []
