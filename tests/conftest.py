"""Shared fixtures: settings on a temporary directory, the Russian-language machinery (built
once per session), the loopback web stand and the fake Telegram Bot API stand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from bot.app.composition import build_language, load_reference
from bot.app.config import Settings, load_settings
from bot.tagging.language import Language
from tests.telegram_stand import TelegramStand
from tests.telegram_stand.fixtures import telegram_stand
from tests.web_stand import WebStand, web_stand_fixture

if TYPE_CHECKING:
    from tests.bot_harness import BotHarness  # it imports this module: no cycle at run time

__all__ = ["telegram_stand", "web_stand_fixture"]

FIXTURES = Path(__file__).parent / "fixtures"

SettingsFactory = Callable[..., Settings]


@pytest.fixture(scope="session")
def language() -> Language:
    """Tagger, region resolver and lemmatizer: built once, shared by every test."""
    return build_language(load_reference())


@pytest.fixture
def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsFactory:
    """Settings on ``tmp_path``; keyword arguments override fields. No .env is read."""
    monkeypatch.chdir(tmp_path)

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_path": tmp_path / "db" / "regionews.sqlite3",
            "sources_file": tmp_path / "sources.toml",
            "fetch_allow_private": True,
            "fetch_timeout": 5.0,
            "parse_workers": 1,
            "parse_timeout": 5.0,
        }
        values.update(overrides)
        return load_settings(_env_file=None, **values)

    return build


@pytest.fixture(name="owned_settings")
def owned_settings_fixture(
    telegram_stand: TelegramStand, make_settings: SettingsFactory
) -> Settings:
    """Settings of a bot polling the stand with user :data:`OWNER_ID` as its one owner
    (``ADMIN_IDS=1001``); stories that restart the bot start it again with these."""
    from tests.bot_harness import OWNER_ID  # noqa: PLC0415 (it imports us)

    return make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids=str(OWNER_ID),
    )


@pytest_asyncio.fixture(name="owned_bot")
async def owned_bot_fixture(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    owned_settings: Settings,
    language: Language,
) -> AsyncIterator[BotHarness]:
    """The whole bot polling the stand, with user :data:`OWNER_ID` as its one owner
    (``ADMIN_IDS=1001``): the desk's stories start here."""
    from tests.bot_harness import running_bot  # noqa: PLC0415 (it imports us)

    async with running_bot(telegram_stand, web_stand, owned_settings, language) as harness:
        yield harness
