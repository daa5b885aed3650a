"""The digest job at scale: ``--chats`` readers on a daily digest at 09:00 in Irkutsk, all
due at once, ``--articles`` new Irkutsk articles in their period.

Run: ``python -m bench.bench_digests [--chats N] [--articles N] [--folder DIR]``. A temporary
SQLite file (WAL, as in production) is seeded; then, at 09:00 Irkutsk time,
:meth:`bot.delivery.digests.DigestJob.run_once` builds every digest and puts it into the
outbox (timed: the run, and per digest); then the job runs again a minute later (timed: an
idle tick, which must find nothing due and read next to nothing) and at 08:59 the next day
(every subscription is a candidate again, none is due). Prints the figures; a benchmark
reports, it does not fail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.composition import load_reference
from bot.delivery.digests import DigestJob
from bot.domain.clock import ManualClock
from bot.domain.models import Region, Section, Topic
from storage.database import Database
from storage.outbox import counts
from storage.reference import ReferenceRepository
from storage.timestamps import to_db

NINE_IN_IRKUTSK = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
SINCE = NINE_IN_IRKUTSK - timedelta(days=2)


class Names:
    def __init__(self) -> None:
        reference = load_reference()
        self.regions: dict[str, Region] = {r.code: r for r in reference.regions}
        self.sections: dict[str, Section] = {s.slug: s for s in reference.sections}
        self.topics: dict[str, Topic] = {t.slug: t for t in reference.topics}


def seed_readers(connection: sqlite3.Connection, chats: int) -> None:
    stamp = to_db(SINCE)
    for number in range(chats):
        chat_id = 10_000_000 + number
        connection.execute(
            "INSERT INTO chats (id, kind, language, created_at, updated_at)"
            " VALUES (?, 'private', ?, ?, ?)",
            (chat_id, "en" if number % 10 == 0 else "ru", stamp, stamp),
        )
        subscription_id = connection.execute(
            "INSERT INTO subscriptions (chat_id, mode, digest_time, timezone, since, created_at,"
            " updated_at) VALUES (?, 'daily', '09:00', 'Asia/Irkutsk', ?, ?, ?) RETURNING id",
            (chat_id, stamp, stamp, stamp),
        ).fetchone()[0]
        rule_id = connection.execute(
            "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?)"
            " RETURNING id",
            (subscription_id, stamp),
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO rule_regions (rule_id, region_code) VALUES (?, 'RU-IRK')", (rule_id,)
        )
        connection.execute(
            "UPDATE subscriptions SET current_rule_id = ? WHERE id = ?", (rule_id, subscription_id)
        )


def seed_articles(connection: sqlite3.Connection, articles: int) -> None:
    """New Irkutsk articles fetched during the day before 09:00 (plain inserts, as the
    ingest's writer would store them)."""
    for number in range(articles):
        moment = to_db(NINE_IN_IRKUTSK - timedelta(hours=20) + timedelta(minutes=number))
        title = f"Иркутские лесопромышленники открыли завод №{number} в Приангарье"
        story = connection.execute(
            "INSERT INTO stories (title_key, created_at) VALUES (?, ?) RETURNING id",
            (title, moment),
        ).fetchone()[0]
        article_id = connection.execute(
            "INSERT INTO articles (story_id, identity_key, url, title, title_key, section_slug,"
            " published_at, fetched_at, updated_at, content_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                story,
                f"digest:{number}",
                f"https://news.example.org/digest/{number}",
                title,
                title,
                "regional" if number % 3 else "events",
                moment,
                moment,
                moment,
                f"digest:{number}",
            ),
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO article_regions (article_id, region_code) VALUES (?, 'RU-IRK')",
            (article_id,),
        )


async def timed_run(job: DigestJob) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    run = await job.run_once()
    return time.perf_counter() - wall, time.process_time() - cpu, run


async def run(chats: int, articles: int, folder: Path) -> None:
    database = await Database.open(folder / "digests.db")
    try:
        reference = load_reference()
        await ReferenceRepository(database).sync(
            reference.regions, reference.sections, reference.topics
        )
        begun = time.perf_counter()
        await database.write(lambda connection: seed_readers(connection, chats))
        await database.write(lambda connection: seed_articles(connection, articles))
        seconds = time.perf_counter() - begun
        print(f"seeded {chats:,} readers and {articles} articles in {seconds:.1f} s")
        clock = ManualClock(NINE_IN_IRKUTSK)
        job = DigestJob(database, Names(), clock=clock)
        wall, cpu, made = await timed_run(job)
        print(
            f"09:00 in Irkutsk: {made} in {wall:.2f} s ({cpu:.2f} s CPU),"
            f" {1000 * wall / max(chats, 1):.2f} ms a digest"
        )
        clock.advance(timedelta(minutes=1))
        wall, cpu, idle = await timed_run(job)
        print(f"09:01, an idle tick: {idle} in {1000 * wall:.1f} ms ({1000 * cpu:.1f} ms CPU)")
        clock.set(NINE_IN_IRKUTSK + timedelta(days=1) - timedelta(minutes=1))
        wall, cpu, early = await timed_run(job)
        print(
            f"08:59 the next day, every reader a candidate: {early} in {1000 * wall:.0f} ms"
            f" ({1000 * cpu:.0f} ms CPU)"
        )
        pending = (await database.read(counts))["pending"]
        print(f"outbox: {pending:,} digest messages pending")
    finally:
        await database.close()
    print(
        f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB;"
        f" load average {os.getloadavg()[0]:.1f} (2 cores, shared)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--folder", type=Path, default=None)
    arguments = parser.parse_args()
    if arguments.folder is not None:
        asyncio.run(run(arguments.chats, arguments.articles, arguments.folder))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(arguments.chats, arguments.articles, Path(folder)))


if __name__ == "__main__":
    main()
