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
from dataclasses import dataclass

from bot.delivery.digest import digest_messages
from bot.delivery.periods import DigestSchedule, Period, digest_due
from bot.domain.clock import Clock, system_clock
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, digest_key
from bot.telegram.articles import Names
from bot.telegram.i18n import DEFAULT_LANGUAGE
from storage.database import Database
from storage.digests import DigestSubscriber, digest_articles, digest_subscribers, record_digest
from storage.outbox import enqueue
from storage.timestamps import to_db

log = logging.getLogger(__name__)

MAX_DIGEST_ARTICLES = 300  # a digest is a reading list, not an archive: ~6 messages at most


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
        subscribers = await self._db.read(digest_subscribers)
        due = sent = messages = 0
        for subscriber in subscribers:
            subscription = subscriber.subscription
            last = max(subscriber.last_digest_end or subscription.since, subscription.since)
            period = digest_due(now, DigestSchedule.of(subscription), last)
            if period is None:
                continue
            due += 1
            added = await self._make(subscriber, period)
            sent += added > 0
            messages += added
        if due:
            log.info("digests: %d due, %d sent in %d messages", due, sent, messages)
        return DigestRun(due, sent, messages)

    async def _make(self, subscriber: DigestSubscriber, period: Period) -> int:
        subscription = subscriber.subscription
        articles = await self._db.read(
            lambda connection: digest_articles(
                connection,
                subscription.id,
                since=period.since,
                until=period.end,
                limit=self._max_articles,
            )
        )
        followed = {code for rule in subscription.rules for code in rule.regions}
        bodies = digest_messages(
            articles,
            self._names,
            language=subscriber.language or DEFAULT_LANGUAGE,
            zone=subscription.timezone,
            period=period,
            prefer_regions=followed,
        )
        now = self._clock()
        rows = [
            PlannedDelivery(
                chat_id=subscription.chat_id,
                thread_id=subscription.thread_id,
                kind=DeliveryKind.DIGEST,
                dedupe_key=digest_key(to_db(period.start), part),
                priority=Priority.DIGEST,
                due_at=now,
                body=body,
            )
            for part, body in enumerate(bodies, 1)
        ]

        def store(connection: sqlite3.Connection) -> int:
            if not record_digest(connection, subscription.id, end=period.end):
                return 0  # another run made it meanwhile
            return enqueue(connection, rows, now=now)

        return await self._db.write(store)
