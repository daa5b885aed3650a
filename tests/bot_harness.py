"""The whole bot, really polling the fake Telegram: what the ``test_bot_*`` stories run against.

``running_bot`` opens :func:`bot.app.runtime.bot_runtime` on a temporary database and sources file,
starts ``runtime.run(stop)`` (long polling against the stand) and yields a
:class:`BotHarness`; on exit it stops polling, lets updates in flight finish and closes
everything. The ``harness`` fixture wraps it for a test::

    from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

    async def test_start(harness: BotHarness) -> None:
        anna = harness.stand.user(1001, "Анна")
        chat = harness.stand.private_chat(anna)
        [welcome, wizard] = await harness.send(anna, chat, "/start")
        answer = await harness.press(anna, wizard, button="Иркутская область")

``send`` and ``press`` wait until the bot has handled every update queued so far (no sleeps)
and fail the test at once if a handler raised. ``seed_articles`` ingests the fixture feeds
(and any extra items) from a loopback web stand into the bot's database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest_asyncio
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.app.config import Settings, load_settings
from bot.app.runtime import BotRuntime, bot_runtime
from bot.domain.clock import ManualClock
from bot.domain.models import Chat, Subscription
from bot.ingest.ingestor import IngestReport, SourceStatus
from bot.tagging.language import Language
from storage.chats import ChatRepository
from storage.subscriptions import SubscriptionRepository
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import IRKUTSK_RSS, LIPETSK_PAGE
from tests.ingest_fixtures import write_sources as write_fixture_sources
from tests.telegram_stand import (
    CallbackAnswer,
    Person,
    RateLimits,
    StandChat,
    StandMessage,
    TelegramStand,
)
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
"""The bot's (manual) clock: after every fixture article, so none is dated "in the future"."""
SETTLE_SECONDS = 5.0
EXTRA_FEED = "/extra.rss"
OWNER_ID = 1001
"""The one owner (``ADMIN_IDS``) of the bot of the ``owned_bot`` fixture."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One ``<item>`` of the extra feed (its source's default region is Irkutsk Oblast)."""

    guid: str
    title: str
    published: datetime
    description: str = ""

    @property
    def link(self) -> str:
        return f"https://extra38.example/news/{self.guid}"


BAM = FeedItem(
    "bam",
    "РЖД заявили, что протяженность путей БАМа в Иркутской области увеличится",
    published=NOW + timedelta(minutes=20),
    description="Строительство вторых путей ведется в Приангарье.",
)
"""An Irkutsk story for the extra feed, published after the fixture articles."""


def owner(harness: BotHarness) -> tuple[Person, StandChat]:
    """The ``owned_bot`` fixture's owner and their private chat with the bot."""
    olga = harness.stand.user(OWNER_ID, "Ольга")
    return olga, harness.stand.private_chat(olga)


async def say(harness: BotHarness, person: Person, chat: StandChat, text: str) -> str:
    """``person`` writes ``text`` in ``chat``; the text of the bot's one answer."""
    [answer] = await harness.send(person, chat, text)
    assert answer.text is not None
    return answer.text


def rss(items: Iterable[FeedItem]) -> bytes:
    """An RSS 2.0 document; every text is XML-escaped, so ``<b>&`` arrives as text."""
    body = "".join(
        "<item>"
        f"<guid>{escape(item.guid)}</guid>"
        f"<title>{escape(item.title)}</title>"
        f"<link>{escape(item.link)}</link>"
        f"<description>{escape(item.description)}</description>"
        f"<pubDate>{format_datetime(item.published)}</pubDate>"
        "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Экспорт Приангарья</title><link>https://extra38.example/</link>"
        f"{body}</channel></rss>"
    ).encode()


def write_sources(path: Path, web: WebStand) -> None:
    """The fixture feeds of ``tests/test_ingest.py`` plus an extra feed for story items."""
    extra = (
        f'\n[[source]]\nname = "extra"\nurl = "{web.url(EXTRA_FEED)}"\n'
        'region = "RU-IRK"\nsection = "regional"\n'
    )
    write_fixture_sources(path, web, extra)


@dataclass
class UpdateLedger(BaseMiddleware):
    """An outer update middleware: which updates the bot has finished, and what raised."""

    handled: set[int] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    reported: int = 0  # errors already raised into a test
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception as error:
            self.errors.append(error)
            raise
        finally:
            if isinstance(event, Update):
                self.handled.add(event.update_id)
            self.progress.set()


class HandlerFailed(AssertionError):
    """A handler raised while the story ran (the bot would have gone silent)."""


@dataclass
class BotHarness:
    stand: TelegramStand
    web: WebStand
    runtime: BotRuntime
    clock: ManualClock
    ledger: UpdateLedger

    # waiting -----------------------------------------------------------------------------

    def _published(self) -> set[int]:
        """Every update the stand has queued for the bot (delivered or still pending)."""
        ids = {int(update["update_id"]) for update in self.stand.pending_updates}
        for call in self.stand.calls("getUpdates"):
            if call.ok and isinstance(call.result, list):
                ids.update(int(update["update_id"]) for update in call.result)
        return ids

    def check_errors(self) -> None:
        """Fail with what handlers raised since the last check."""
        ledger = self.ledger
        new = ledger.errors[ledger.reported :]
        ledger.reported = len(ledger.errors)
        if new:
            raise HandlerFailed(f"handlers raised: {', '.join(repr(error) for error in new)}")

    async def settle(self, timeout: float = SETTLE_SECONDS) -> None:  # noqa: ASYNC109
        """Wait until the bot has handled every update queued so far."""
        try:
            async with asyncio.timeout(timeout):
                while not self._published() <= self.ledger.handled:
                    self.ledger.progress.clear()
                    await self.ledger.progress.wait()
        except TimeoutError:
            missing = sorted(self._published() - self.ledger.handled)
            raise AssertionError(f"updates {missing} not handled within {timeout}s") from None
        finally:
            self.check_errors()

    # acting ------------------------------------------------------------------------------

    async def send(
        self, person: Person, chat: StandChat, text: str, *, thread_id: int | None = None
    ) -> list[StandMessage]:
        """``person`` writes ``text``; the bot's new messages in that chat (or topic)."""
        before = {message.message_id for message in self.stand.messages_in(chat, thread_id)}
        await person.send(chat, text, thread_id=thread_id)
        await self.settle()
        return [
            message
            for message in self.stand.messages_in(chat, thread_id)
            if message.message_id not in before
        ]

    async def press(
        self,
        person: Person,
        message: StandMessage,
        button: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> CallbackAnswer:
        """``person`` presses a button; the bot's one answer to that press."""
        query_id = await person.press(message, callback_data, button=button)
        await self.settle()
        answers = [a for a in self.stand.callback_answers if a.callback_query_id == query_id]
        assert len(answers) == 1, f"press {button or callback_data!r} answered {answers}"
        return answers[0]

    async def act(self, action: Awaitable[None]) -> None:
        """Something happens to the bot (blocked, added to a group...); wait until handled."""
        await action
        await self.settle()

    @staticmethod
    def forge_button(message: StandMessage, text: str, callback_data: str) -> None:
        """Put a button the bot never made under ``message`` (an older version's keyboard, a
        modified client), so a test can press callback data the bot would not produce."""
        assert len(callback_data.encode()) <= 64
        markup = message.reply_markup or {"inline_keyboard": []}
        rows = [
            *markup.get("inline_keyboard", []),
            [{"text": text, "callback_data": callback_data}],
        ]
        message.reply_markup = {"inline_keyboard": rows}

    # the bot's data ----------------------------------------------------------------------

    async def subscription(self, chat_id: int, thread_id: int = 0) -> Subscription | None:
        """As the database holds it (not the service's cache)."""
        return await SubscriptionRepository(self.runtime.ingest.database).get(chat_id, thread_id)

    async def chat(self, chat_id: int) -> Chat | None:
        """As the database holds it (not the service's cache)."""
        return await ChatRepository(self.runtime.ingest.database).get(chat_id)

    async def seed_articles(self, extra: Sequence[FeedItem] = ()) -> IngestReport:
        """Ingest the Irkutsk feed, the Lipetsk page and ``extra`` (Irkutsk by default)."""
        self.web.add("/irkutsk.rss", IRKUTSK_RSS)
        self.web.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html; charset=utf-8")
        self.web.add(EXTRA_FEED, rss(extra))
        report = await self.runtime.ingest.ingestor.run_once(only_due=False)
        failed = [r for r in (*report.problems, *report.sources) if r.status is SourceStatus.ERROR]
        assert not failed, failed
        return report


@asynccontextmanager
async def running_bot(
    stand: TelegramStand,
    web: WebStand,
    settings: Settings,
    language: Language,
    *,
    clock: ManualClock | None = None,
    limits: RateLimits | None = None,
) -> AsyncIterator[BotHarness]:
    """The bot polling ``stand`` until the block ends.

    Rate limits are off unless ``limits`` are given; the bot's clock is a
    :class:`~bot.domain.clock.ManualClock` at :data:`NOW` unless ``clock`` is given.
    """
    stand.set_limits(limits or RateLimits.off())
    write_sources(settings.sources_file, web)  # read once, when the runtime opens
    manual = clock or ManualClock(NOW)
    async with bot_runtime(
        settings, clock=manual, language=language, start_scheduler=False
    ) as runtime:
        ledger = UpdateLedger()
        runtime.dispatcher.update.outer_middleware(ledger)
        stop = asyncio.Event()
        polling = asyncio.create_task(runtime.run(stop))
        try:
            await stand.wait_for(lambda: stand.polling or polling.done())
            if polling.done():
                await polling  # it failed to start: surface why
            yield BotHarness(stand, web, runtime, manual, ledger)
        finally:
            stop.set()
            await polling
    if ledger.errors[ledger.reported :]:
        raise HandlerFailed(f"handlers raised: {ledger.errors[ledger.reported :]!r}")


@asynccontextmanager
async def standalone_bot(directory: Path, language: Language) -> AsyncIterator[BotHarness]:
    """A stand, a web stand and the running bot of their own, on files in ``directory``: for
    a module-scoped fixture that several read-only stories share (each with its own people)."""
    async with TelegramStand() as stand, WebStand() as web:
        settings = load_settings(
            _env_file=None,
            bot_token=stand.token,
            telegram_api_url=stand.base_url,
            database_path=directory / "regionews.sqlite3",
            sources_file=directory / "sources.toml",
            fetch_allow_private=True,
            fetch_timeout=5.0,
            parse_workers=1,
            parse_timeout=5.0,
        )
        async with running_bot(stand, web, settings, language) as harness:
            yield harness


@pytest_asyncio.fixture(name="harness")
async def harness_fixture(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> AsyncIterator[BotHarness]:
    """The running bot on a fresh stand, database and sources file."""
    settings = make_settings(
        bot_token=telegram_stand.token, telegram_api_url=telegram_stand.base_url
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        yield harness
