"""A sender on a real SQLite file, talking HTTP to the strict Telegram stand, with time on a
manual clock shared by the stand's flood limits, the pacer and the outbox's wall clock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from bot.app.composition import load_reference
from bot.delivery.pacing import Pacer, PacingLimits
from bot.delivery.rendering import CardRenderer
from bot.delivery.sender import Sender, SenderPolicy
from bot.delivery.throttle import Throttle
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, broadcast_key
from bot.domain.models import ChatKind
from bot.readers.catalog import Catalog
from bot.readers.subscriptions import Choices, SubscriptionService
from bot.telegram.session import JsonAiohttpSession
from storage import outbox
from storage.database import Database
from storage.reference import ReferenceRepository
from storage.timestamps import to_db
from tests.telegram_stand import ManualClock, RateLimits, StandChat, TelegramStand

START = datetime(2026, 3, 17, 6, 0, tzinfo=UTC)
_STAND_KINDS = {
    "private": ChatKind.PRIVATE,
    "group": ChatKind.GROUP,
    "supergroup": ChatKind.SUPERGROUP,
    "channel": ChatKind.CHANNEL,
}


@dataclass
class DeliveryRig:
    stand: TelegramStand
    clock: ManualClock
    database: Database
    subscriptions: SubscriptionService
    pacer: Pacer
    throttle: Throttle
    sender: Sender
    bot: Bot

    def now(self) -> datetime:
        return START + timedelta(seconds=self.clock() - 1000.0)

    async def register(self, chats: Iterable[StandChat]) -> None:
        for chat in chats:
            await self.subscriptions.register_chat(
                chat.id,
                kind=_STAND_KINDS[chat.kind.value],
                title=chat.title or "",
                language_code="ru",
            )

    async def broadcast(
        self,
        chats: Iterable[StandChat],
        body: str,
        *,
        key: str = "1",
        priority: Priority = Priority.URGENT,
    ) -> int:
        rows = [
            PlannedDelivery(
                chat_id=chat.id,
                kind=DeliveryKind.BROADCAST,
                dedupe_key=broadcast_key(key),
                priority=priority,
                due_at=self.now(),
                body=body,
            )
            for chat in chats
        ]
        now = self.now()
        return await self.database.write(lambda c: outbox.enqueue(c, rows, now=now))

    async def store_article(self, *, title: str, image_url: str | None = None) -> tuple[int, int]:
        """An Irkutsk article as ingest stores it (plain inserts in one unit of work);
        (article id, story id)."""
        moment = to_db(self.now())
        url = f"https://irk.example/{abs(hash(title))}"
        teaser = "Протяженность путей увеличится на 3,5 тыс. км к 2030 году."

        def insert(connection: sqlite3.Connection) -> tuple[int, int]:
            story = connection.execute(
                "INSERT INTO stories (title_key, created_at) VALUES (?, ?) RETURNING id",
                (title.lower(), moment),
            ).fetchone()[0]
            article = connection.execute(
                "INSERT INTO articles (story_id, identity_key, url, title, title_key, teaser,"
                " image_url, section_slug, published_at, fetched_at, updated_at, content_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'regional', ?, ?, ?, ?) RETURNING id",
                (story, f"test:{title}", url, title, title.lower(), teaser, image_url)
                + (moment, moment, moment, title),
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO article_regions (article_id, region_code) VALUES (?, 'RU-IRK')",
                (article,),
            )
            return int(article), int(story)

        return await self.database.write(insert)

    async def counts(self) -> dict[str, int]:
        return await self.database.read(outbox.counts)

    async def drain(self, *, max_passes: int = 2000) -> None:
        """Run passes, moving the clock to what is due next, until nothing is left to send."""
        for _ in range(max_passes):
            await self.sender.run_once()
            counts = await self.counts()
            if counts["pending"] == 0 and counts["sending"] == 0:
                return
            due = await self.database.read(outbox.next_due_at)
            wait = 0.25 if due is None else (due - self.now()).total_seconds()
            self.clock.advance(max(wait, 0.25))
        raise AssertionError(f"the outbox did not drain: {await self.counts()}")

    async def rows(self) -> list[tuple[int, int, str, int | None, str | None]]:
        return await self.database.read(
            lambda c: [
                tuple(row)
                for row in c.execute(
                    "SELECT id, chat_id, state, message_id, error FROM deliveries ORDER BY id"
                )
            ]
        )


@asynccontextmanager
async def delivery_rig(
    tmp_path: Path,
    *,
    limits: RateLimits | None = None,
    pacing: PacingLimits | None = None,
    policy: SenderPolicy | None = None,
) -> AsyncIterator[DeliveryRig]:
    clock = ManualClock()
    async with TelegramStand(clock=clock, limits=limits or RateLimits()) as stand:
        database = await Database.open(tmp_path / "regionews.sqlite3")
        api = TelegramAPIServer.from_base(stand.base_url)
        bot = Bot(stand.token, session=JsonAiohttpSession(api=api))
        try:
            rig_now = _WallClock(clock)
            subscriptions = SubscriptionService(
                database=database, choices=Choices({}, (), ()), clock=rig_now
            )
            sleep = ClockSleepTo(clock)
            pacer = Pacer(pacing or PacingLimits(), clock)
            throttle = Throttle(pacer, sleep=sleep)
            reference = load_reference()
            await ReferenceRepository(database).sync(
                reference.regions, reference.sections, reference.topics
            )
            names = Catalog(
                database=database,
                regions=reference.regions,
                sections=reference.sections,
                topics=reference.topics,
                clock=rig_now,
            )
            sender = Sender(
                database=database,
                bot=bot,
                throttle=throttle,
                chats=subscriptions,
                renderer=CardRenderer(database=database, names=names),
                clock=rig_now,
                # One send at a time: on a manual clock, sends in flight together would all reach
                # the stand at whatever moment the clock had been moved to meanwhile.
                policy=policy or SenderPolicy(concurrency=1),
                sleep=sleep,
            )
            yield DeliveryRig(stand, clock, database, subscriptions, pacer, throttle, sender, bot)
        finally:
            await bot.session.close()
            await database.close()


@dataclass
class ClockSleepTo:
    """Sleep on a manual clock: move it to the moment the sleeper wakes at, unless another
    sleeper has moved it past that already (two tasks sleeping at once do not add up)."""

    clock: ManualClock
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        wake_at = self.clock() + seconds
        await asyncio.sleep(0)
        if self.clock() < wake_at:
            self.clock.advance(wake_at - self.clock())


@dataclass(frozen=True)
class _WallClock:
    clock: ManualClock

    def __call__(self) -> datetime:
        return START + timedelta(seconds=self.clock() - 1000.0)
