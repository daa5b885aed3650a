"""Stories of planning deliveries: a real ingest (loopback web stand, parser workers, a real
SQLite file) stores new articles and plans their deliveries in the same transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bot.app.composition import ingest_runtime
from bot.domain.clock import ManualClock
from bot.domain.models import ChatKind
from storage.chats import ChatRepository
from storage.database import Database
from storage.subscriptions import SubscriptionRepository
from storage.timestamps import from_db
from tests.conftest import SettingsFactory
from tests.test_cli import json_lines, run_cli
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)  # 14:00 in Irkutsk
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)

OLD_NEWS = ("Иркутские экспортеры леса вышли на рынок Китая", "Предприятия Иркутской области")
RAILWAY = (
    "В Иркутской области начали строить второй путь до Тайшета",
    "РЖД ведут строительство вторых путей в Иркутской области.",
)


def rss(items: Sequence[tuple[str, str, str, datetime]]) -> bytes:
    """A feed of (guid, title, teaser, published) items."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://news.example/{guid}</link><description>{teaser}</description>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
        for guid, title, teaser, published in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Новости</title><link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


def two_sources(path: Path, stand: WebStand) -> None:
    path.write_text(
        f"""
[[source]]
name = "export38"
url = "{stand.url("/export38.rss")}"
section = "regional"
interval = "10m"

[[source]]
name = "baikal"
url = "{stand.url("/baikal.rss")}"
section = "regional"
interval = "10m"
""",
        encoding="utf-8",
    )


async def subscribe(
    database: Database,
    chat_id: int,
    *,
    since: datetime,
    kind: ChatKind = ChatKind.PRIVATE,
    regions: Sequence[str] = (),
    sections: Sequence[str] = (),
    topics: Sequence[str] = (),
    **settings: str | int | None,
) -> None:
    """A chat subscribed at ``since`` with one rule (all parts empty: "any")."""
    repository = SubscriptionRepository(database)
    _, subscription = await repository.ensure_for_chat(
        chat_id, 0, kind=kind, title=f"chat {chat_id}", language=None, now=since
    )
    await repository.add_rule(
        subscription.id, regions=regions, sections=sections, topics=topics, now=since
    )
    await repository.delete_rule(subscription.id, subscription.rules[0].id, now=since)
    await repository.update_settings(subscription.id, now=since, **settings)


def deliveries(path: Path) -> dict[int, list[tuple[str, int, str, str]]]:
    """chat → [(dedupe key, priority, due_at, state)], read straight from the file."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT chat_id, dedupe_key, priority, due_at, state FROM deliveries ORDER BY id"
        ).fetchall()
    found: dict[int, list[tuple[str, int, str, str]]] = {}
    for chat_id, key, priority, due_at, state in rows:
        found.setdefault(chat_id, []).append((key, priority, due_at, state))
    return found


async def test_a_new_story_is_planned_once_for_each_matching_chat_and_never_the_backlog(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    settings = make_settings()
    two_sources(settings.sources_file, web_stand)
    old = [("old-1", *OLD_NEWS, NOW - timedelta(hours=2))]
    web_stand.add("/export38.rss", rss(old))
    web_stand.add("/baikal.rss", rss([("b-old", "Байкальский туризм растет", "Бурятия", NOW)]))
    clock = ManualClock(NOW)
    day_ago = NOW - timedelta(days=1)

    async with ingest_runtime(settings, clock=clock) as runtime:
        db = runtime.database
        await subscribe(db, 101, since=day_ago, regions=["RU-IRK"])
        await subscribe(db, 102, since=day_ago, regions=["RU-LIP"])
        await subscribe(db, -103, since=day_ago, kind=ChatKind.GROUP)  # any news
        await subscribe(db, 104, since=day_ago, regions=["RU-IRK"], mode="daily")
        await subscribe(db, 105, since=day_ago, regions=["RU-IRK"])
        await ChatRepository(db).set_active(105, active=False, reason="blocked", now=day_ago)
        await subscribe(db, 106, since=day_ago, regions=["RU-IRK"], paused=1)
        await subscribe(db, 107, since=day_ago, regions=["RU-IRK"], topics=["pharma"])
        await subscribe(db, 108, since=day_ago, sections=["regional"], topics=["pharma", "it"])
        await subscribe(db, 109, since=day_ago, sections=["interview"])
        await subscribe(db, 110, since=day_ago, regions=["RU-BU", "RU-IRK"], sections=["regional"])
        await subscribe(
            db,
            111,
            since=day_ago,
            regions=["RU-IRK"],
            timezone="Asia/Irkutsk",
            quiet_start="14:00",
            quiet_end="15:30",
        )

        # The first fetch of a new source: its backlog is stored, nobody is pushed.
        first = await runtime.ingestor.run_once(only_due=False)
        assert sum(report.new for report in first.sources) == 2
        assert first.planned_deliveries == 0
        assert deliveries(db.path) == {}

        # A new story, told by both sources; one reader subscribed after it was published.
        published = NOW + timedelta(minutes=10)
        await subscribe(db, 112, since=NOW + timedelta(minutes=15), regions=["RU-IRK"])
        web_stand.add("/export38.rss", rss([*old, ("rail-1", *RAILWAY, published)]))
        web_stand.add("/baikal.rss", rss([("rail-b", *RAILWAY, published)]))
        clock.advance(timedelta(minutes=20))
        second = await runtime.ingestor.run_once(only_due=False)
        assert sum(report.new for report in second.sources) == 2
        database_file = db.path

    planned = deliveries(database_file)
    assert sorted(planned) == [-103, 101, 110, 111]
    assert second.planned_deliveries == 4
    for chat_id, rows in planned.items():
        assert len(rows) == 1, f"chat {chat_id} got the story {len(rows)} times"
        key, priority, due_at, state = rows[0]
        assert key.startswith("story:")
        assert (priority, state) == (1, "pending")
        if chat_id == 111:  # quiet 14:00-15:30 in Irkutsk: held until 15:30 there
            assert from_db(due_at) == datetime(2024, 6, 10, 7, 30, tzinfo=UTC)
        else:
            assert from_db(due_at) == NOW + timedelta(minutes=20)
    assert len({rows[0][0] for rows in planned.values()}) == 1  # one story


async def test_the_ingest_command_says_how_many_deliveries_it_planned(
    web_stand: WebStand, tmp_path: Path
) -> None:
    """``regionews ingest`` as a process, twice: the first pass (every source's first fetch)
    plans nothing; the second plans the new story for the one reader it matches."""
    env = {
        "PYTHONPATH": PROJECT_ROOT,
        "DATABASE_PATH": str(tmp_path / "regionews.sqlite3"),
        "SOURCES_FILE": str(tmp_path / "sources.toml"),
        "FETCH_ALLOW_PRIVATE": "true",
        "PARSE_WORKERS": "1",
    }
    two_sources(tmp_path / "sources.toml", web_stand)
    now = datetime.now(UTC)
    old = [("old-1", *OLD_NEWS, now - timedelta(hours=2))]
    web_stand.add("/export38.rss", rss(old))
    web_stand.add("/baikal.rss", rss([]))
    code, out, err = await run_cli("ingest", cwd=tmp_path, env=env)
    assert code == 0, err
    assert "Deliveries planned: 0" in out.splitlines()

    database = await Database.open(tmp_path / "regionews.sqlite3")
    try:
        await subscribe(database, 101, since=now - timedelta(days=1), regions=["RU-IRK"])
        await subscribe(database, 102, since=now - timedelta(days=1), regions=["RU-LIP"])
    finally:
        await database.close()
    web_stand.add("/export38.rss", rss([*old, ("rail-1", *RAILWAY, now)]))
    web_stand.add("/baikal.rss", rss([("rail-b", *RAILWAY, now)]))
    code, out, err = await run_cli("ingest", "--json", cwd=tmp_path, env=env)
    assert code == 0, err
    planned = {line["source"]: line["planned"] for line in json_lines(out) if "status" in line}
    assert sorted(planned.values()) == [0, 1]  # the second source's story was already planned
    assert sorted(deliveries(tmp_path / "regionews.sqlite3")) == [101]
