"""The outbox on a real SQLite file: what the sender claims and in which order, how a
delivery settles, digests and broadcasts enqueued once, and channels' slots and gaps."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.composition import load_reference
from bot.delivery.channel_job import ChannelSlotJob
from bot.delivery.planner import DeliveryPlanner
from bot.domain.channels import ChannelMode
from bot.domain.clock import ManualClock
from bot.domain.delivery import (
    DeliveryKind,
    DeliveryState,
    PlannedDelivery,
    Priority,
    broadcast_key,
    digest_key,
)
from bot.domain.models import ArticleDraft, ChatKind
from bot.ingest.drafting import title_key
from storage import outbox
from storage.article_writer import save_drafts
from storage.channels import link_channel, pause_channel, set_channel_mode, set_channel_rule
from storage.chats import upsert_chat
from storage.database import Database
from storage.reference import ReferenceRepository
from storage.subscriptions import SubscriptionRepository
from storage.timestamps import to_db

NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, 14:00 in Irkutsk


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "outbox.db")
    reference = load_reference()
    await ReferenceRepository(database).sync(
        reference.regions, reference.sections, reference.topics
    )
    try:
        yield database
    finally:
        await database.close()


async def chats(db: Database, *chat_ids: int, language: str | None = None) -> None:
    def add(connection: sqlite3.Connection) -> None:
        for chat_id in chat_ids:
            kind = ChatKind.PRIVATE if chat_id > 0 else ChatKind.SUPERGROUP
            upsert_chat(connection, chat_id, kind=kind, title="", language=language, now=NOW)

    await db.write(add)


def row(
    chat_id: int,
    key: str,
    *,
    priority: Priority = Priority.INSTANT,
    due: timedelta = timedelta(0),
    kind: DeliveryKind = DeliveryKind.BROADCAST,
) -> PlannedDelivery:
    return PlannedDelivery(
        chat_id=chat_id, kind=kind, dedupe_key=key, priority=priority, due_at=NOW + due, body=key
    )


async def enqueue(db: Database, rows: Sequence[PlannedDelivery]) -> int:
    return await db.write(lambda connection: outbox.enqueue(connection, rows, now=NOW))


async def claim(
    db: Database, at: datetime = NOW, limit: int = 10, exclude: Sequence[int] = ()
) -> list[tuple[int, str | None]]:
    items = await db.write(
        lambda connection: outbox.claim_due(connection, now=at, limit=limit, exclude_chats=exclude)
    )
    return [(item.chat_id, item.body) for item in items]


async def test_claims_one_per_chat_urgent_first_then_the_longest_waiting(db: Database) -> None:
    await chats(db, 1, 2, 3, 4)
    await enqueue(
        db,
        [
            row(1, "digest", priority=Priority.DIGEST, due=-timedelta(hours=1)),
            row(1, "push", priority=Priority.INSTANT),
            row(2, "later", due=timedelta(minutes=5)),
            row(3, "urgent", priority=Priority.URGENT),
            row(4, "old push", due=-timedelta(minutes=1)),
        ],
    )
    assert await claim(db) == [(3, "urgent"), (4, "old push"), (1, "push")]
    # chat 1 still has a digest, but one of its messages is in flight: nothing for it now
    assert await claim(db) == []
    assert await claim(db, NOW + timedelta(minutes=5)) == [(2, "later")]


async def test_limit_and_excluded_chats(db: Database) -> None:
    await chats(db, 1, 2, 3)
    await enqueue(db, [row(chat, f"b{chat}") for chat in (1, 2, 3)])
    assert await claim(db, limit=1, exclude=[1]) == [(2, "b2")]
    assert await claim(db, limit=5, exclude=[3]) == [(1, "b1")]
    assert await claim(db) == [(3, "b3")]


async def test_a_delivery_settles_once_and_keeps_telegrams_message_id(db: Database) -> None:
    await chats(db, 1, 2, 3, language="en")
    await enqueue(db, [row(1, "a"), row(2, "b"), row(3, "c"), row(3, "d")])
    items = await db.write(lambda c: outbox.claim_due(c, now=NOW, limit=10))
    assert [(item.attempts, item.language, item.kind) for item in items] == [
        (1, "en", DeliveryKind.BROADCAST)
    ] * 3
    first, second, third = (item.id for item in items)
    later = NOW + timedelta(seconds=30)

    def settle(connection: sqlite3.Connection) -> None:
        outbox.mark_sent(connection, first, message_id=777, now=NOW)
        outbox.retry_later(connection, second, due_at=later, error="429: retry after 30 s")
        outbox.mark_failed(connection, third, reason="network down for an hour", now=NOW)

    await db.write(settle)
    assert await db.read(outbox.counts) == {
        "pending": 2,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "cancelled": 0,
    }
    assert await db.read(outbox.next_due_at) == NOW
    assert await claim(db) == [(3, "d")]
    again = await db.write(lambda c: outbox.claim_due(c, now=later, limit=10))
    assert [(item.body, item.attempts) for item in again] == [("b", 2)]
    with sqlite3.connect(db.path) as connection:
        stored = connection.execute(
            "SELECT dedupe_key, state, message_id, error, first_attempt_at FROM deliveries"
            " ORDER BY id"
        ).fetchall()
    assert stored[0] == ("a", "sent", 777, None, to_db(NOW))
    assert stored[1] == ("b", "sending", None, "429: retry after 30 s", to_db(NOW))
    assert stored[2] == ("c", "failed", None, "network down for an hour", to_db(NOW))


async def test_a_restart_puts_in_flight_back_and_a_blocked_chat_is_cancelled(
    db: Database,
) -> None:
    await chats(db, 1, 2)
    await enqueue(db, [row(1, "a"), row(1, "b"), row(2, "c")])
    assert len(await claim(db)) == 2
    assert await db.write(outbox.recover_in_flight) == 2
    assert await db.write(lambda c: outbox.cancel_pending_for_chat(c, 1, reason="blocked")) == 2
    assert await claim(db) == [(2, "c")]
    counts = await db.read(outbox.counts)
    assert (counts["cancelled"], counts["sending"]) == (2, 1)
    assert await db.read(outbox.next_due_at) is None


async def test_digests_and_broadcasts_are_enqueued_once_even_when_made_again(
    db: Database,
) -> None:
    await chats(db, 1, 2)
    period = to_db(NOW - timedelta(days=1))
    parts = [
        row(1, digest_key(period, 1), kind=DeliveryKind.DIGEST),
        row(1, digest_key(period, 2), kind=DeliveryKind.DIGEST),
        row(2, broadcast_key(5)),
    ]
    assert await enqueue(db, parts) == 3
    assert await enqueue(db, parts) == 0  # a second run, or a restart that made them again
    assert digest_key(period, 2) == "digest:2026-12-03T06:00:00Z:2"


async def test_a_migrated_group_takes_its_deliveries_along(db: Database) -> None:
    await chats(db, -100)
    await enqueue(db, [row(-100, "a")])
    await db.write(lambda c: c.execute("UPDATE chats SET id = -1009 WHERE id = -100"))
    assert await claim(db) == [(-1009, "a")]


async def store(
    db: Database,
    number: int,
    *,
    regions: Sequence[str] = ("RU-IRK",),
    age: timedelta = timedelta(minutes=1),
) -> int:
    title = f"Иркутские лесопромышленники открыли завод №{number}"
    draft = ArticleDraft(
        identity_key=f"t:{number}",
        guid=None,
        url=f"https://news.example/{number}",
        title=title,
        title_key=title_key(title),
        teaser="",
        text="",
        image_url=None,
        published_at=NOW - age,
        fetched_at=NOW,
        section="regional",
        regions=tuple(regions),
        topics=("forestry",),
        content_hash=str(number),
    )
    saved = await db.write(lambda connection: save_drafts(connection, None, [draft]))
    return saved[0].article_id


async def channel(
    db: Database, chat_id: int, mode: ChannelMode, slots: Sequence[str] = (), gap: int = 0
) -> None:
    def link(connection: sqlite3.Connection) -> None:
        link_channel(
            connection, chat_id, title="Лес", username=None, linked_by=1, now=NOW - timedelta(1)
        )
        set_channel_rule(
            connection,
            chat_id,
            regions=["RU-IRK"],
            sections=[],
            topics=[],
            timezone_if_unset="Europe/Moscow",
            now=NOW,
        )
        set_channel_mode(
            connection,
            chat_id,
            mode=mode,
            slots=slots,
            min_gap_seconds=gap,
            timezone="Europe/Moscow",
            now=NOW,
        )

    await db.write(link)


def planned(path: Path) -> dict[int, tuple[int, str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT chat_id, priority, due_at, state FROM deliveries WHERE kind = 'article'"
        ).fetchall()
    return {chat_id: (priority, due_at, state) for chat_id, priority, due_at, state in rows}


async def test_channels_get_posts_at_their_mode_and_a_paused_one_gets_none(
    db: Database,
) -> None:
    await channel(db, -1001, ChannelMode.INSTANT)
    await channel(db, -1002, ChannelMode.BATCHED, ["13:00", "18:00"])
    await channel(db, -1003, ChannelMode.INSTANT)
    await db.write(lambda c: pause_channel(c, -1003, reason="no right to post", now=NOW))
    planner = DeliveryPlanner()
    article = await store(db, 1)
    assert await planner.plan_stored(db, [article], now=NOW) == 2
    assert planned(db.path) == {
        -1001: (Priority.CHANNEL, to_db(NOW), "pending"),
        -1002: (Priority.CHANNEL, "2026-12-04T10:00:00Z", "pending"),  # 13:00 in Moscow
    }
    assert await claim(db) == [(-1001, None)]
    items = await db.write(lambda c: outbox.claim_due(c, now=NOW + timedelta(hours=4), limit=9))
    assert [(item.chat_id, item.chat_kind, item.timezone) for item in items] == [
        (-1002, "channel", "Europe/Moscow")
    ]


async def test_an_instant_channel_keeps_its_gap_between_posts(db: Database) -> None:
    await channel(db, -1001, ChannelMode.INSTANT, gap=60)
    planner = DeliveryPlanner()
    for number in (1, 2):
        await planner.plan_stored(db, [await store(db, number)], now=NOW)
    [first] = await db.write(lambda c: outbox.claim_due(c, now=NOW, limit=9))
    await db.write(lambda c: outbox.mark_sent(c, first.id, message_id=1, now=NOW))
    assert await claim(db, NOW + timedelta(seconds=59)) == []
    assert await claim(db, NOW + timedelta(seconds=60)) == [(-1001, None)]


async def test_the_slot_job_moves_waiting_posts_when_a_channel_changes_its_slots(
    db: Database,
) -> None:
    await channel(db, -1002, ChannelMode.BATCHED, ["13:00"])
    clock = ManualClock(NOW)
    job = ChannelSlotJob(db, clock=clock)
    planner = DeliveryPlanner()
    await planner.plan_stored(db, [await store(db, 1)], now=NOW)
    assert (await job.run_once()).retimed == 0  # nothing changed: nothing moves
    await db.write(
        lambda c: set_channel_mode(
            c,
            -1002,
            mode=ChannelMode.BATCHED,
            slots=["09:30", "19:00"],
            min_gap_seconds=0,
            timezone=None,
            now=NOW,
        )
    )
    run = await job.run_once()
    assert (run.channels, run.retimed) == (1, 1)
    assert planned(db.path)[-1002][1] == "2026-12-04T06:30:00Z"  # 09:30 in Moscow
    # At 09:30 the batch is released; a post sent then makes the job record it.
    clock.set(NOW + timedelta(minutes=30))
    [post] = await db.write(lambda c: outbox.claim_due(c, now=clock(), limit=9))
    await db.write(lambda c: outbox.mark_sent(c, post.id, message_id=5, now=clock()))
    await job.run_once()
    with sqlite3.connect(db.path) as connection:
        last = connection.execute(
            "SELECT last_post_at FROM channel_settings WHERE chat_id = -1002"
        ).fetchone()[0]
    assert last == "2026-12-04T06:30:00Z"


async def test_a_story_reaches_a_chat_once_and_a_new_subscriber_gets_no_backlog(
    db: Database,
) -> None:
    repository = SubscriptionRepository(db)
    _, reader = await repository.ensure_for_chat(
        7, 0, kind=ChatKind.PRIVATE, title="", language=None, now=NOW - timedelta(days=1)
    )
    planner = DeliveryPlanner()
    first = await store(db, 1)
    assert await planner.plan_stored(db, [first], now=NOW) == 1  # "any" rule
    assert await planner.plan_stored(db, [first], now=NOW) == 0
    await repository.ensure_for_chat(
        8, 0, kind=ChatKind.PRIVATE, title="", language=None, now=NOW
    )  # subscribed after the article was published
    assert await planner.plan_stored(db, [await store(db, 2)], now=NOW) == 1
    assert set(planned(db.path)) == {7}
    assert reader.rules and reader.rules[0].is_any
    assert DeliveryState.PENDING.value in await db.read(outbox.counts)


Rules = Sequence[tuple[Sequence[str], Sequence[str], Sequence[str]]]

ARTICLE_REGIONS = ("RU-IRK", "RU-BU")  # and, as every stored test article: «regional», forestry


@pytest.mark.parametrize(
    ("rules", "matches"),
    [
        ([((), (), ())], True),  # "any"
        ([(("RU-IRK",), (), ())], True),
        ([(("RU-LIP", "RU-BU"), (), ())], True),  # one of the article's regions is enough
        ([(("RU-LIP",), (), ())], False),
        ([((), ("regional",), ())], True),
        ([((), ("interview", "events"), ())], False),
        ([((), (), ("forestry", "it"))], True),
        ([((), (), ("pharma",))], False),
        ([(("RU-IRK",), ("regional",), ("forestry",))], True),
        ([(("RU-IRK",), ("regional",), ("pharma",))], False),  # every part must match
        ([(("RU-IRK",), ("interview",), ())], False),
        ([(("RU-LIP",), (), ()), ((), (), ("forestry",))], True),  # any rule will do
        ([(("RU-LIP",), (), ()), (("RU-IRK",), ("events",), ())], False),
        ([], False),  # no rule at all: nothing
    ],
)
async def test_an_article_matches_a_subscription_when_any_rule_matches_every_part(
    db: Database, rules: Rules, matches: bool
) -> None:
    repository = SubscriptionRepository(db)
    _, subscription = await repository.ensure_for_chat(
        7, 0, kind=ChatKind.PRIVATE, title="", language=None, now=NOW - timedelta(days=1)
    )
    for regions, sections, topics in rules:
        await repository.add_rule(
            subscription.id, regions=regions, sections=sections, topics=topics, now=NOW
        )
    await repository.delete_rule(subscription.id, subscription.rules[0].id, now=NOW)
    article = await store(db, 1, regions=ARTICLE_REGIONS)
    assert await DeliveryPlanner().plan_stored(db, [article], now=NOW) == int(matches)


async def test_an_article_published_days_ago_is_stored_but_pushed_to_nobody(db: Database) -> None:
    repository = SubscriptionRepository(db)
    await repository.ensure_for_chat(
        7, 0, kind=ChatKind.PRIVATE, title="", language=None, now=NOW - timedelta(days=30)
    )
    planner = DeliveryPlanner()
    stale = await store(db, 1, age=timedelta(days=3, minutes=1))
    assert await planner.plan_stored(db, [stale], now=NOW) == 0
    fresh = await store(db, 2, age=timedelta(days=2, hours=23))
    assert await planner.plan_stored(db, [fresh], now=NOW) == 1
