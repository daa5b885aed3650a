"""The digest job through the whole bot: a reader in Irkutsk on a daily digest at 09:00 gets,
at 09:00 Irkutsk time, one digest of the new Irkutsk articles in the outbox, readable by the
strict Bot API; never a second one for the same day, late (once) after downtime, nothing for a
day with nothing new."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from bot.delivery.digests import DigestJob
from bot.domain.delivery import DeliveryKind, Priority
from storage.subscriptions import SubscriptionRepository
from tests.bot_harness import NOW, BotHarness, FeedItem, harness_fixture
from tests.telegram_stand import StandChat
from tests.telegram_stand.html_rules import parse_html

__all__ = ["harness_fixture"]

# NOW is 10 June 2024, 06:00 UTC: 14:00 in Irkutsk (UTC+8)
NINE_IN_IRKUTSK = datetime(2024, 6, 11, 1, 0, tzinfo=UTC)


async def subscribe_to_a_daily_digest(harness: BotHarness) -> StandChat:
    boris = harness.stand.user(1001, "Борис")
    chat = harness.stand.private_chat(boris)
    await harness.send(boris, chat, "/start region-RU-IRK")
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert subscription.timezone == "Asia/Irkutsk"
    await SubscriptionRepository(harness.runtime.ingest.database).update_settings(
        subscription.id, now=NOW, mode="daily", digest_time="09:00"
    )
    return chat


def job(harness: BotHarness) -> DigestJob:
    return DigestJob(harness.runtime.ingest.database, harness.runtime.catalog, clock=harness.clock)


async def digests_due(harness: BotHarness) -> list[str]:
    """The digest messages pending in the outbox (all parts: the sender claims one per chat
    at a time), in order; they are marked sent, as if the sender had sent them."""

    def take(connection: sqlite3.Connection) -> list[tuple[str, str, int]]:
        rows = connection.execute(
            "SELECT kind, body, priority FROM deliveries WHERE state = 'pending' ORDER BY id"
        ).fetchall()
        connection.execute("UPDATE deliveries SET state = 'sent' WHERE state = 'pending'")
        return [(row[0], row[1], row[2]) for row in rows]

    rows = await harness.runtime.ingest.database.write(take)
    assert all(
        kind == DeliveryKind.DIGEST and priority == Priority.DIGEST for kind, _, priority in rows
    )
    return [body for _kind, body, _priority in rows]


async def test_a_daily_digest_in_irkutsk_time(harness: BotHarness) -> None:
    chat = await subscribe_to_a_daily_digest(harness)
    harness.clock.advance(timedelta(hours=1))
    await harness.seed_articles(
        [
            FeedItem("bam", "РЖД: пути БАМа удлинят на 3,5 тыс. км", NOW + timedelta(minutes=30)),
            FeedItem("port", "Байкальск <откроет> & порт", NOW + timedelta(minutes=40)),
        ]
    )
    digest_job = job(harness)

    harness.clock.set(NINE_IN_IRKUTSK - timedelta(minutes=1))
    assert (await digest_job.run_once()).due == 0  # 08:59 in Irkutsk: yesterday's is done

    harness.clock.set(NINE_IN_IRKUTSK)
    run = await digest_job.run_once()
    assert (run.due, run.sent, run.messages) == (1, 1, 1)
    [body] = await digests_due(harness)
    lines = parse_html(body).text.split("\n")
    assert lines[:4] == ["Дайджест за 11 июня", "", "Иркутская область", "Региональные новости"]
    assert "10.06 · Байкальск <откроет> & порт" in lines
    assert "10.06 · РЖД: пути БАМа удлинят на 3,5 тыс. км" in lines
    assert sum(" · " in line for line in lines) == 2  # older articles predate the subscription

    harness.clock.advance(timedelta(minutes=5))
    assert (await digest_job.run_once()).due == 0  # never two for one day

    # the bot is down over the next 09:00 and comes back at noon: the digest comes, late
    harness.clock.set(NINE_IN_IRKUTSK + timedelta(days=1, hours=3))
    assert await job(harness).run_once() == type(run)(due=1, sent=0, messages=0)  # nothing new
    assert await digests_due(harness) == []
    assert await harness.subscription(chat.id) is not None


async def test_the_bot_sends_the_digest_the_strict_api_accepts(harness: BotHarness) -> None:
    chat = await subscribe_to_a_daily_digest(harness)
    harness.clock.advance(timedelta(hours=1))
    await harness.seed_articles(
        [
            FeedItem(f"n{n}", f"Новость {n} " + "слово " * 60, NOW + timedelta(minutes=n))
            for n in range(40)
        ]
    )
    harness.clock.set(NINE_IN_IRKUTSK)
    run = await job(harness).run_once()
    bodies = await digests_due(harness)
    assert run.messages == len(bodies) > 1  # a long digest is split
    for body in bodies:
        await harness.runtime.bot.send_message(chat.id, body, parse_mode="HTML")
    sent = await harness.stand.wait_for_messages(chat, count=1 + len(bodies))  # /start: one
    digest_lines = [
        line for message in sent for line in (message.text or "").split("\n") if " · " in line
    ]
    assert sum(line.startswith("10.06 · Новость ") for line in digest_lines) == 40


async def test_a_digest_time_moved_later_the_same_day_still_comes_that_day(
    harness: BotHarness,
) -> None:
    chat = await subscribe_to_a_daily_digest(harness)
    digest_job = job(harness)
    harness.clock.set(NINE_IN_IRKUTSK)
    assert (await digest_job.run_once()).due == 1  # today's 09:00 (nothing new yet)

    harness.clock.advance(timedelta(hours=1))
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    await SubscriptionRepository(harness.runtime.ingest.database).update_settings(
        subscription.id, now=harness.clock(), digest_time="18:00"
    )
    await harness.seed_articles(
        [FeedItem("late", "Новость после девяти", NINE_IN_IRKUTSK + timedelta(minutes=30))]
    )
    harness.clock.set(NINE_IN_IRKUTSK + timedelta(hours=9) - timedelta(minutes=1))
    assert (await digest_job.run_once()).due == 0  # 17:59 in Irkutsk
    harness.clock.advance(timedelta(minutes=1))
    assert (await digest_job.run_once()).sent == 1  # 18:00: what came since 09:00
    [body] = await digests_due(harness)
    assert "11.06 · Новость после девяти" in parse_html(body).text.split("\n")
