"""Fan-out of one article to 100,000 subscribed chats: the time to plan its deliveries.

Run: ``python -m bench.bench_fanout [--chats N] [--others N] [--folder DIR]``. A temporary
SQLite file (on disk, WAL, as in production) is seeded with ``--chats`` chats whose rules
all match an Irkutsk article (region rules, "any" rules, region × section, topic rules;
some with quiet hours in various zones, so those are held), plus ``--others`` chats that
must get nothing (other regions, other topics, digest mode, paused, inactive). Then, as
the ingest does it, an article is stored and its deliveries planned in ONE transaction
(:meth:`bot.delivery.planner.DeliveryPlanner.plan`, one ``INSERT … SELECT``); timed: the
planning unit alone and the whole write with its commit. Repeated for ``--stories`` stories (the
outbox grows by 100,000 rows each), and once for the first story told by a second source
(plans nothing: a story reaches a chat once).

Targets (issue 10): planning under 2 s; peak memory (the process's maximum resident set,
seeding included) under 250 MB. Prints wall-clock and CPU time of each planning, the
median wall clock against the target, and PASS/FAIL; exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.composition import load_reference
from bot.delivery.planner import DeliveryPlanner
from bot.domain.models import ArticleDraft
from bot.ingest.drafting import title_key
from storage.article_writer import save_drafts
from storage.database import Database
from storage.outbox import counts
from storage.reference import ReferenceRepository
from storage.timestamps import to_db

PLAN_TARGET_SECONDS = 2.0
MEMORY_TARGET_MB = 250
NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # 13:30 in Moscow, 12:30 in Kaliningrad
ZONES = ("Asia/Irkutsk", "Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad")
QUIET = (("13:00", "15:00"), ("22:00", "07:00"), ("12:30", "13:30"))


def _matching_rule(number: int) -> list[tuple[str, str]]:
    """(part, value) of a rule an Irkutsk «regional» forestry article matches, by shape."""
    shape = number % 5
    if shape == 0:
        return [("region", "RU-IRK")]
    if shape == 1:
        return []  # any
    if shape == 2:
        return [("region", "RU-BU"), ("region", "RU-IRK"), ("section", "regional")]
    if shape == 3:
        return [("topic", "forestry"), ("topic", "export")]
    return [("region", "RU-IRK"), ("section", "regional"), ("topic", "forestry")]


def _other_rule(number: int) -> list[tuple[str, str]]:
    """A rule the article does not match."""
    shape = number % 3
    if shape == 0:
        return [("region", "RU-LIP")]
    if shape == 1:
        return [("topic", "pharma")]
    return [("region", "RU-IRK"), ("section", "interview")]


def _rows(
    chats: int, others: int
) -> Iterator[tuple[int, str, list[tuple[str, str]], dict[str, object]]]:
    """(chat id, kind, rule, subscription settings) of every seeded chat."""
    for number in range(chats):
        settings: dict[str, object] = {"mode": "instant", "paused": 0, "active": 1}
        if number % 10 == 7:
            start, end = QUIET[number % len(QUIET)]
            settings |= {"quiet_start": start, "quiet_end": end}
        kind = "group" if number % 20 == 3 else "private"
        chat_id = -(10**12) - number if kind == "group" else 10**6 + number
        yield chat_id, kind, _matching_rule(number), settings
    for number in range(others):
        settings = {"mode": "instant", "paused": 0, "active": 1}
        if number % 4 == 1:  # a matching rule, but digests only
            settings["mode"] = "daily"
            yield 5 * 10**8 + number, "private", _matching_rule(number), settings
            continue
        if number % 4 == 2:  # matching, but paused or blocked
            settings["paused" if number % 8 == 2 else "active"] = 1 if number % 8 == 2 else 0
            yield 5 * 10**8 + number, "private", _matching_rule(number), settings
            continue
        yield 5 * 10**8 + number, "private", _other_rule(number), settings


def seed(connection: sqlite3.Connection, chats: int, others: int, since: datetime) -> None:
    """Bench data only: chats, subscriptions and rules written straight in (the bot makes
    them one /start at a time)."""
    stamp = to_db(since)
    for number, (chat_id, kind, rule, settings) in enumerate(_rows(chats, others)):
        connection.execute(
            "INSERT INTO chats (id, kind, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, kind, settings.get("active", 1), stamp, stamp),
        )
        subscription_id = connection.execute(
            "INSERT INTO subscriptions (chat_id, mode, timezone, quiet_start, quiet_end, paused,"
            " since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                chat_id,
                settings["mode"],
                ZONES[number % len(ZONES)],
                settings.get("quiet_start"),
                settings.get("quiet_end"),
                settings["paused"],
                stamp,
                stamp,
                stamp,
            ),
        ).fetchone()[0]
        rule_id = connection.execute(
            "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?)"
            " RETURNING id",
            (subscription_id, stamp),
        ).fetchone()[0]
        connection.execute(
            "UPDATE subscriptions SET current_rule_id = ? WHERE id = ?", (rule_id, subscription_id)
        )
        for part, value in rule:
            table, column = {
                "region": ("rule_regions", "region_code"),
                "section": ("rule_sections", "section_slug"),
                "topic": ("rule_topics", "topic_slug"),
            }[part]
            connection.execute(
                f"INSERT INTO {table} (rule_id, {column}) VALUES (?, ?)", (rule_id, value)
            )


def draft(number: int, title: str, published: datetime) -> ArticleDraft:
    return ArticleDraft(
        identity_key=f"fanout:{number}",
        guid=None,
        url=f"https://news.example.org/fanout/{number}",
        title=title,
        title_key=title_key(title),
        teaser="Предприятия Приангарья заключили контракты на поставку пиломатериалов.",
        text="",
        image_url=None,
        published_at=published,
        fetched_at=published,
        section="regional",
        regions=("RU-IRK",),
        topics=("forestry",),
        content_hash=f"fanout:{number}",
    )


@dataclass(frozen=True, slots=True)
class Timing:
    planned: int
    wall: float  # the planning unit, wall clock
    cpu: float  # the planning unit, this process's CPU time
    write: float  # the whole write: article saved, deliveries planned, committed


async def store_and_plan(
    database: Database, planner: DeliveryPlanner, article: ArticleDraft, now: datetime
) -> Timing:
    started = time.perf_counter()

    def store(connection: sqlite3.Connection) -> tuple[int, float, float]:
        saved = save_drafts(connection, None, [article])
        ids = [item.article_id for item in saved]
        wall, cpu = time.perf_counter(), time.process_time()
        planned = planner.plan(connection, ids, now=now)
        return planned, time.perf_counter() - wall, time.process_time() - cpu

    # One write: the article saved and its deliveries planned (see bot.ingest.ingestor).
    planned, wall, cpu = await database.write(store)
    return Timing(planned, wall, cpu, time.perf_counter() - started)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def run(chats: int, others: int, stories: int, folder: Path) -> bool:
    database = await Database.open(folder / "fanout.db")
    try:
        reference = load_reference()
        await ReferenceRepository(database).sync(
            reference.regions, reference.sections, reference.topics
        )
        begun = time.perf_counter()
        await database.write(
            lambda connection: seed(connection, chats, others, NOW - timedelta(days=1))
        )
        print(
            f"seeded {chats:,} matching and {others:,} other chats in"
            f" {time.perf_counter() - begun:.1f} s"
        )
        planner = DeliveryPlanner()
        published = NOW - timedelta(minutes=5)
        timings: list[Timing] = []
        again: Timing | None = None
        for number in range(stories):
            title = f"Иркутские лесопромышленники открыли завод №{number}"
            timings.append(
                await store_and_plan(database, planner, draft(2 * number, title, published), NOW)
            )
            if again is None:  # the same story from a second source
                again = await store_and_plan(
                    database, planner, draft(2 * number + 1, title, published), NOW
                )
        held = await database.read(
            lambda connection: connection.execute(
                "SELECT COUNT(*) FROM deliveries WHERE due_at > ?", (to_db(NOW),)
            ).fetchone()[0]
        )
        pending = (await database.read(counts))["pending"]
    finally:
        await database.close()
    assert again is not None
    memory = peak_mb()
    for number, timing in enumerate(timings, 1):
        print(
            f"story {number}: {timing.planned:,} deliveries planned in {timing.wall:.2f} s"
            f" ({timing.cpu:.2f} s CPU); the whole write with the article and the commit:"
            f" {timing.write:.2f} s"
        )
    print(f"the same story from a second source: {again.planned} planned in {again.wall:.2f} s")
    print(f"outbox: {pending:,} pending, {held:,} of them held by quiet hours")
    print(f"load average while running: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    median = statistics.median(timing.wall for timing in timings)
    ok_count = all(timing.planned == chats for timing in timings) and again.planned == 0
    ok_time = median < PLAN_TARGET_SECONDS
    ok_memory = memory < MEMORY_TARGET_MB
    print(f"deliveries: {verdict(ok_count)} ({chats:,} per story, none twice)")
    print(
        f"planning time, median of {stories}: {median:.2f} s"
        f" (target < {PLAN_TARGET_SECONDS:.0f} s): {verdict(ok_time)}"
    )
    print(f"peak memory: {memory:.0f} MB (target < {MEMORY_TARGET_MB} MB): {verdict(ok_memory)}")
    return ok_count and ok_time and ok_memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000, help="chats the article matches")
    parser.add_argument("--others", type=int, default=20_000, help="chats it must not reach")
    parser.add_argument("--stories", type=int, default=3, help="stories planned, one by one")
    parser.add_argument(
        "--folder", type=Path, help="where the database goes (default: a temp dir)"
    )
    args = parser.parse_args()
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
        ok = asyncio.run(run(args.chats, args.others, args.stories, args.folder))
    else:
        with tempfile.TemporaryDirectory(prefix="fanout-") as folder:
            ok = asyncio.run(run(args.chats, args.others, args.stories, Path(folder)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
