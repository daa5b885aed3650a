"""The digest job: for every subscription whose digest is due, the new matching articles of
its period rendered as digest messages and put into the outbox, with the period recorded in
the same transaction.

What is due comes from the database and the clock alone (:func:`bot.delivery.periods.
digest_due` over ``subscriptions.last_digest_end``), so a restart recovers every schedule: a
period missed while the bot was down is made at the next run, once; a period with nothing new
is recorded without a message. The outbox's unique key (chat, thread,
``digest:<period start>:<part>``) is a second guard against a period sent twice.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.delivery.digest import digest_messages
from bot.delivery.periods import DigestSchedule, Period, digest_due, last_scheduled
from bot.domain.clock import Clock, system_clock
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, digest_key
from bot.domain.models import Article, DeliveryMode
from bot.telegram.articles import Names
from bot.telegram.i18n import DEFAULT_LANGUAGE
from storage.database import Database
from storage.digests import (
    DigestSubscriber,
    digest_articles,
    digest_subscribers,
    followed_regions,
    record_digest,
)
from storage.outbox import enqueue
from storage.timestamps import to_db

log = logging.getLogger(__name__)

MAX_DIGEST_ARTICLES = 300  # a digest is a reading list, not an archive: ~6 messages at most
BATCH = 200  # digests read in one hop and written in one transaction


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one run did."""

    due: int  # subscriptions whose period had come
    sent: int  # of them, those that got a digest (the others had nothing new)
    messages: int  # outbox rows added


class DigestJob:
    """Builds the digests that are due. One per process, run by the scheduler (one instance
    at a time; :meth:`run_once` is also safe to run twice: a period is recorded once)."""

    def __init__(
        self,
        database: Database,
        names: Names,
        *,
        clock: Clock = system_clock,
        max_articles: int = MAX_DIGEST_ARTICLES,
    ) -> None:
        self._db = database
        self._names = names
        self._clock = clock
        self._max_articles = max_articles

    async def run_once(self) -> DigestRun:
        now = self._clock()
        subscribers = await self._db.read(
            lambda connection: digest_subscribers(connection, now=now)
        )
        latest: dict[DigestSchedule, datetime] = {}  # many readers share one schedule
        due: list[tuple[DigestSubscriber, Period]] = []
        for subscriber in subscribers:
            schedule = DigestSchedule(
                weekly=subscriber.mode is DeliveryMode.WEEKLY,
                at=subscriber.digest_time,
                weekday=subscriber.digest_weekday,
                zone=subscriber.timezone,
            )
            last = max(subscriber.last_digest_end or subscriber.since, subscriber.since)
            end = latest.get(schedule)
            if end is None:
                end = latest[schedule] = last_scheduled(schedule, now)
            if last >= end:
                continue  # this period's digest is made
            period = digest_due(now, schedule, last)
            if period is not None:
                due.append((subscriber, period))
        sent = messages = 0
        rendered: dict[_Key, list[str]] = {}  # readers with the same digest share its text
        for start in range(0, len(due), BATCH):
            batch_sent, batch_messages = await self._make(due[start : start + BATCH], rendered)
            sent += batch_sent
            messages += batch_messages
        if due:
            log.info("digests: %d due, %d sent in %d messages", len(due), sent, messages)
        return DigestRun(len(due), sent, messages)

    async def _make(
        self, batch: Sequence[tuple[DigestSubscriber, Period]], rendered: dict[_Key, list[str]]
    ) -> tuple[int, int]:
        """One read for the batch's articles, one write for its digests and periods."""

        def read(connection: sqlite3.Connection) -> list[tuple[list[Article], set[str]]]:
            return [
                (
                    digest_articles(
                        connection,
                        subscriber.subscription_id,
                        since=period.since,
                        until=period.end,
                        limit=self._max_articles,
                    ),
                    followed_regions(connection, subscriber.subscription_id),
                )
                for subscriber, period in batch
            ]

        found = await self._db.read(read)
        now = self._clock()
        plans: list[tuple[int, datetime, list[PlannedDelivery]]] = []
        for (subscriber, period), (articles, followed) in zip(batch, found, strict=True):
            language = subscriber.language or DEFAULT_LANGUAGE
            key = _Key(
                tuple(article.id for article in articles),
                language,
                subscriber.timezone,
                period.start,
                period.end,
                period.weekly,
                frozenset(followed),
            )
            bodies = rendered.get(key)
            if bodies is None:
                bodies = rendered[key] = digest_messages(
                    articles,
                    self._names,
                    language=language,
                    zone=subscriber.timezone,
                    period=period,
                    prefer_regions=followed,
                )
            rows = [
                PlannedDelivery(
                    chat_id=subscriber.chat_id,
                    thread_id=subscriber.thread_id,
                    kind=DeliveryKind.DIGEST,
                    dedupe_key=digest_key(to_db(period.start), part),
                    priority=Priority.DIGEST,
                    due_at=now,
                    body=body,
                )
                for part, body in enumerate(bodies, 1)
            ]
            plans.append((subscriber.subscription_id, period.end, rows))

        def store(connection: sqlite3.Connection) -> tuple[int, int]:
            sent = messages = 0
            for subscription_id, end, rows in plans:
                if not record_digest(connection, subscription_id, end=end):
                    continue  # another run made it meanwhile
                added = enqueue(connection, rows, now=now)
                sent += added > 0
                messages += added
            return sent, messages

        return await self._db.write(store)


@dataclass(frozen=True, slots=True)
class _Key:
    """Everything a digest's text depends on."""

    articles: tuple[int, ...]
    language: str
    zone: str | None
    start: datetime
    end: datetime
    weekly: bool
    followed: frozenset[str]
