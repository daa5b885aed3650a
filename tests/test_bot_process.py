"""``python -m bot`` as an operator runs it: a child process talking HTTP to the fake Telegram.

The stand runs in the test's event loop; the bot is a real process with its settings in the
environment, a temporary working directory, database and (empty) sources file. Every test
kills what it started, whatever happens.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiogram.types import BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from bot.app.cli import EXIT_CONFIG, EXIT_OK
from bot.app.config import setting_variables
from bot.app.runtime import WEBHOOK_PATH
from storage.database import Database
from storage.subscriptions import SubscriptionRepository
from tests.telegram_stand import TelegramStand
from tests.web_stand import WebStand

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60.0  # the bot builds its Russian-language machinery before polling
STOP_SECONDS = 5.0
QUICK_EXIT_SECONDS = 30.0
SECRET = "s3cret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UNKNOWN_TOKEN = "123456789:AAUnknownTokenTheStandHasNeverIssued0"


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (just freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    """A running ``python -m bot`` and where its standard error goes."""

    process: asyncio.subprocess.Process
    stderr_path: Path
    database_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    async def exit_code(self, seconds: float) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=seconds)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not exit within {seconds:g} s; its stderr:\n{self.stderr}"
            ) from None

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return await self.exit_code(STOP_SECONDS)

    async def until(self, stand: TelegramStand, what: str, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds on the stand; fail at once if the bot exits."""
        condition = asyncio.create_task(stand.wait_for(predicate, STARTUP_SECONDS))
        exited = asyncio.create_task(self.process.wait())
        try:
            await asyncio.wait({condition, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (condition, exited):
                task.cancel()
            await asyncio.gather(condition, exited, return_exceptions=True)
        if not condition.cancelled() and condition.exception() is None:
            return
        if exited.done() and not exited.cancelled():
            raise AssertionError(
                f"the bot exited with {self.process.returncode} before {what}:\n{self.stderr}"
            )
        condition.result()  # the stand's timeout, saying what it saw


def working_folder(folder: Path) -> tuple[Path, Path]:
    """The bot's working directory with an empty sources file; where its database goes."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = folder / "sources.toml"
    sources.write_text("# no sources yet\n", encoding="utf-8")
    return sources, folder / "data" / "regionews.sqlite3"


@asynccontextmanager
async def started_bot(
    command: Sequence[str | Path],
    folder: Path,
    stand: TelegramStand,
    environment: Mapping[str, str],
    **overrides: str,
) -> AsyncIterator[BotProcess]:
    """Run ``command`` (the bot) in ``folder`` against ``stand`` with an empty sources file:
    ``environment`` plus the settings that point it at the stand (``overrides`` win over both);
    kill it on the way out if it is still running."""
    sources, database_path = working_folder(folder)
    variables = {
        **environment,
        "BOT_TOKEN": stand.token,
        "TELEGRAM_API_URL": stand.base_url,
        "DATABASE_PATH": str(database_path),
        "SOURCES_FILE": str(sources),
        "PARSE_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        **overrides,
    }
    stderr_path = folder / "stderr.log"
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=folder,
            env=variables,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        yield BotProcess(process, stderr_path, database_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def bot_process(
    folder: Path, stand: TelegramStand, **settings: str
) -> AsyncIterator[BotProcess]:
    """Start ``python -m bot`` in ``folder`` against ``stand`` (``settings`` override the
    defaults); kill it on the way out if it is still running."""
    environment = {
        key: value for key, value in os.environ.items() if key not in setting_variables()
    }
    command = (sys.executable, "-m", "bot")
    async with started_bot(
        command, folder, stand, environment, PYTHONPATH=str(PROJECT_ROOT), **settings
    ) as process:
        yield process


async def test_the_bot_starts_polls_answers_and_stops_cleanly_on_sigterm(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    stand = telegram_stand
    async with bot_process(tmp_path, stand) as bot:
        await bot.until(stand, "long polling", lambda: stand.polling)

        first = stand.calls()[0]  # the token is checked before anything else
        assert (first.method, first.ok) == ("getMe", True)
        for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
            for language in ("ru", "en"):
                assert stand.commands(scope, language), (scope.type, language)
        private_en = stand.commands(BotCommandScopeAllPrivateChats(), "en")
        assert {"start", "latest"} <= {command.command for command in private_en}

        anna = stand.user(1001, "Анна")
        chat = stand.private_chat(anna)
        await anna.send(chat, "/start")
        welcome, wizard = await stand.wait_for_messages(chat, count=2, timeout=10)
        assert "новости" in (welcome.text or "").lower()
        assert "Иркутская область" in [text for row in wizard.button_texts() for text in row]

        assert await bot.stop() == EXIT_OK
    assert "regionews stopped" in bot.stderr
    assert "Traceback" not in bot.stderr
    assert "on uvloop" in bot.stderr  # EVENT_LOOP=auto takes uvloop where it is installed

    database = await Database.open(bot.database_path, migrate=False)
    try:
        assert await database.integrity_check() == "ok"
        subscription = await SubscriptionRepository(database).get(chat.id, 0)
        assert subscription is not None
        assert len(subscription.rules) == 1
    finally:
        await database.close()


async def test_bad_connection_settings_stop_the_bot_with_one_clear_line(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    """A token the Bot API rejects (401), and a Bot API address where nothing listens: exit
    code 2 and one line on stderr saying what to fix. Both bots start at once, as each spends
    seconds importing before it gets that far."""
    closed = f"http://127.0.0.1:{free_port()}"
    async with (
        bot_process(tmp_path / "rejected", telegram_stand, BOT_TOKEN=UNKNOWN_TOKEN) as rejected,
        bot_process(tmp_path / "unreachable", telegram_stand, TELEGRAM_API_URL=closed) as lost,
    ):
        codes = await asyncio.gather(
            rejected.exit_code(QUICK_EXIT_SECONDS), lost.exit_code(QUICK_EXIT_SECONDS)
        )
    assert list(codes) == [EXIT_CONFIG, EXIT_CONFIG]

    [line] = rejected.stderr.splitlines()
    assert line.startswith("regionews: BOT_TOKEN was rejected by the Bot API")
    assert "@BotFather" in line

    [line] = lost.stderr.splitlines()
    assert line.startswith(f"regionews: cannot reach the Bot API at {closed}")
    assert telegram_stand.calls() == []  # neither got past the token check


async def test_a_bot_api_address_where_a_website_answers_gets_one_clear_line(
    telegram_stand: TelegramStand, web_stand: WebStand, tmp_path: Path
) -> None:
    """``TELEGRAM_API_URL`` pointing at a plain web server: it answers, but not in JSON."""
    website = web_stand.url("").rstrip("/")
    async with bot_process(tmp_path, telegram_stand, TELEGRAM_API_URL=website) as bot:
        assert await bot.exit_code(QUICK_EXIT_SECONDS) == EXIT_CONFIG
    [line] = bot.stderr.splitlines()
    assert line.startswith(f"regionews: the server at {website} did not answer as a Bot API (")
    assert line.endswith("): check TELEGRAM_API_URL")
    assert web_stand.hits(f"/bot{telegram_stand.token}/getMe") == 1


async def test_one_bot_per_database_and_a_killed_one_never_blocks_a_restart(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    """A second ``run`` on the same database refuses with one line; ``ingest`` beside the
    running bot works; after ``kill -9`` the lock is gone with the process."""
    stand = telegram_stand
    async with bot_process(tmp_path / "first", stand) as first:
        await first.until(stand, "long polling", lambda: stand.polling)
        database = str(first.database_path)
        token_checks = len(stand.calls("getMe"))
        async with bot_process(tmp_path / "second", stand, DATABASE_PATH=database) as second:
            assert await second.exit_code(QUICK_EXIT_SECONDS) == EXIT_CONFIG
        [line] = second.stderr.splitlines()
        assert line == (
            f"regionews: another regionews bot is already running on the database {database}"
            f" (pid {first.process.pid}): stop it first, or give this one its own DATABASE_PATH"
        )
        assert len(stand.calls("getMe")) == token_checks  # refused before any Bot API call

        ingest = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "ingest",
            cwd=tmp_path / "first",
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_PATH": database},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(ingest.communicate(), QUICK_EXIT_SECONDS)
        assert ingest.returncode == EXIT_OK, err.decode()
        assert "No sources to ingest" in out.decode()

        first.process.kill()  # kill -9: no clean-up of any kind
        await first.process.wait()
    token_checks = len(stand.calls("getMe"))
    async with bot_process(tmp_path / "third", stand, DATABASE_PATH=database) as third:
        anna = stand.user(1001, "Анна")
        chat = stand.private_chat(anna)
        await third.until(
            stand, "its token check", lambda: len(stand.calls("getMe")) > token_checks
        )
        await anna.send(chat, "/start")
        await stand.wait_for_messages(chat, count=2, timeout=10)
        assert await third.stop() == EXIT_OK


async def test_webhook_mode_registers_with_a_secret_and_refuses_a_wrong_one(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    stand = telegram_stand
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with bot_process(
        tmp_path,
        stand,
        WEBHOOK_URL=base,
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=SECRET,
    ) as bot:
        await bot.until(stand, "setWebhook", lambda: stand.webhook_url is not None)
        [registration] = stand.calls("setWebhook")
        assert registration.ok
        assert registration.params["url"] == f"{base}{WEBHOOK_PATH}"
        assert registration.params["secret_token"] == SECRET
        assert not stand.polling

        # The stand delivers a person's /start with the secret header; the bot answers.
        anna = stand.user(1001, "Анна")
        chat = stand.private_chat(anna)
        await anna.send(chat, "/start")
        await stand.wait_for_messages(chat, count=2, timeout=10)
        assert [delivery.status for delivery in stand.webhook_deliveries] == [200]

        update = {
            "update_id": 1,
            "message": {
                "message_id": 99,
                "date": 1_700_000_000,
                "chat": {"id": 1001, "type": "private", "first_name": "Анна"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Анна"},
                "text": "/help",
            },
        }
        async with aiohttp.ClientSession() as client:
            for headers in ({SECRET_HEADER: "wrong"}, {}):
                async with client.post(
                    f"{base}{WEBHOOK_PATH}", json=update, headers=headers
                ) as response:
                    assert response.status == 401
            assert len(stand.messages_in(chat)) == 2  # nothing answered the forged updates

            # The right secret: the bot handles a POSTed update and answers through the stand.
            async with client.post(
                f"{base}{WEBHOOK_PATH}", json=update, headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 200
        [*_, help_text] = await stand.wait_for_messages(chat, count=3, timeout=10)
        assert "/latest" in (help_text.text or "")

        assert await bot.stop() == EXIT_OK
    assert "regionews stopped" in bot.stderr
