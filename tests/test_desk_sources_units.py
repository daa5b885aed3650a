"""The desk's sources without Telegram: OPML read and written, the dialogue's small parsers,
and how sources added in the bot live beside the sources file (a real SQLite file)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app.composition import ingest_runtime, load_reference
from bot.desk.opml import MAX_OUTLINES, OpmlRefused, read_opml, write_opml
from bot.desk.sources import ImportReport, Preview, Skipped, SkipReason
from bot.domain.clock import ManualClock
from bot.domain.models import HtmlSelectors, SourceConfig, SourceKind, SourceOrigin, SourceState
from bot.ingest.ingestor import NAME_TAKEN_IN_BOT
from bot.telegram.i18n import speaking
from handlers.filters import IsAdmin
from handlers.source_views import (
    find_region,
    import_report,
    parse_selectors,
    preview_view,
    sources_view,
)
from handlers.sources import build_router
from storage import source_desk, sources
from storage.database import Database
from storage.reference import ReferenceRepository
from storage.source_desk import Clash, RemoveRefused, SourceClash, SourceOverview
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import write_sources
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
OWNER = 1001
TELEGRAM_LIMIT = 4096


def _state(name: str, **changes: object) -> SourceState:
    values: dict[str, object] = {
        "id": 1,
        "name": name,
        "url": "https://a.example/rss",
        "configured_url": "https://a.example/rss",
        "kind": SourceKind.RSS,
        "region": None,
        "section": None,
        "topics": (),
        "interval_seconds": 900,
        "timezone": None,
        "html": None,
        "etag": None,
        "last_modified": None,
        "next_fetch_at": None,
        "last_fetched_at": None,
        "last_success_at": None,
        "consecutive_errors": 0,
        "last_error": None,
        "disabled_reason": None,
    }
    values.update(changes)
    return SourceState(**values)  # type: ignore[arg-type]


# OPML ----------------------------------------------------------------------------------------


def test_written_opml_reads_back_with_everything_a_source_needs() -> None:
    feed = _state(
        'Новости <&"> «Приангарья»',
        region="RU-IRK",
        section="regional",
        topics=("light-industry", "export"),
        interval_seconds=600,
    )
    page = _state(
        "lipetsk",
        configured_url="https://b.example/news?a=1&b=2",
        kind=SourceKind.HTML,
        html=HtmlSelectors(item="div.item", title="a.t", date="span.d", date_format="%d %B %Y"),
    )

    entries = read_opml(write_opml((feed, page)))

    assert [(e.name, e.url, e.kind) for e in entries] == [
        ('Новости <&"> «Приангарья»', "https://a.example/rss", None),
        ("lipetsk", "https://b.example/news?a=1&b=2", "html"),
    ]
    assert (entries[0].region, entries[0].section, entries[0].topics) == (
        "RU-IRK",
        "regional",
        ("light-industry", "export"),
    )
    assert entries[0].interval_seconds == 600
    assert entries[1].selectors == {
        "item": "div.item",
        "title": "a.t",
        "date": "span.d",
        "date_format": "%d %B %Y",
        "limit": 50,
    }


def test_categories_only_nest_and_feeds_inside_them_are_read() -> None:
    document = b"""<?xml version="1.0"?>
<opml version="1.0"><head/><body>
  <outline text="Siberia">
    <outline text="Irkutsk" type="rss" xmlUrl="https://irk.example/rss"/>
    <outline text="Sub"><outline title="Deep" xmlUrl="https://deep.example/atom"/></outline>
  </outline>
  <outline text="just a note"/>
  <outline type="rss" text="no address"/>
</body></opml>"""

    entries = read_opml(document)

    assert [(e.name, e.url, e.line) for e in entries] == [
        ("Irkutsk", "https://irk.example/rss", 4),
        ("Deep", "https://deep.example/atom", 5),
        ("no address", None, 8),
    ]


@pytest.mark.parametrize(
    ("document", "hostile"),
    [
        (b'<!DOCTYPE opml [<!ENTITY a "x">]><opml><body/></opml>', True),
        (b'<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml><body/></opml>', True),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e SYSTEM "http://x.example/">]>'
            b"<opml><body><outline text='&e;' xmlUrl='https://a.example/'/></body></opml>",
            True,
        ),
        (
            b"<opml><body><outline text='&unknown;' xmlUrl='https://a/'/></body></opml>",
            False,
        ),
        (b"<opml><body>", False),
        (b"", False),
        (b"\xff\xfe not xml at all", False),
        (b"<rss version='2.0'><channel/></rss>", False),
    ],
    ids=[
        "internal-entity",
        "external-dtd",
        "external-entity",
        "undeclared-entity",
        "unclosed",
        "empty",
        "binary",
        "an-rss-feed",
    ],
)
def test_hostile_and_broken_documents_are_refused(document: bytes, hostile: bool) -> None:
    with pytest.raises(OpmlRefused) as refused:
        read_opml(document)
    assert refused.value.hostile is hostile


def test_a_file_with_too_many_sources_is_refused() -> None:
    outlines = b"".join(
        b'<outline xmlUrl="https://a.example/%d"/>' % number for number in range(MAX_OUTLINES + 1)
    )
    with pytest.raises(OpmlRefused, match="more than"):
        read_opml(b"<opml><body>" + outlines + b"</body></opml>")


# the dialogue's parsers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("item: div.news\ntitle: h3 a", {"item": "div.news", "title": "h3 a"}),
        (
            "Item:  li \n\ntitle: a\ndate: time\ndate_format: %d.%m.%Y %H:%M",
            {"item": "li", "title": "a", "date": "time", "date_format": "%d.%m.%Y %H:%M"},
        ),
        ("item: li", None),  # no title
        ("item: li\ntitle: a\ncolour: red", None),  # unknown key
        ("item li\ntitle: a", None),  # no colon
        ("item:\ntitle: a", None),  # empty selector
        ("", None),
    ],
)
def test_selectors_are_read_from_key_value_lines(
    text: str, expected: dict[str, str] | None
) -> None:
    assert parse_selectors(text) == expected


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("RU-IRK", "RU-IRK"),
        ("ru-irk", "RU-IRK"),
        ("Иркутская область", "RU-IRK"),
        (" irkutsk oblast ", "RU-IRK"),
        ("Иркутск", None),
        ("RU-XXX", None),
    ],
)
def test_a_region_is_found_by_code_or_full_name(query: str, code: str | None) -> None:
    regions = {region.code: region for region in load_reference().regions}
    found = find_region(query, regions)
    assert (found.code if found else None) == code


# beside the sources file ---------------------------------------------------------------------


@pytest_asyncio.fixture(name="database")
async def database_fixture(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "db.sqlite3")
    reference = load_reference()
    await ReferenceRepository(database).sync(
        reference.regions, reference.sections, reference.topics
    )
    try:
        yield database
    finally:
        await database.close()


def _config(name: str, url: str, **changes: object) -> SourceConfig:
    return SourceConfig(name=name, url=url, **changes)  # type: ignore[arg-type]


async def _sync(database: Database, *configs: SourceConfig) -> sources.SyncOutcome:
    return await database.write(
        lambda connection: sources.sync_config(
            connection, configs, default_interval=900, first_fetch_at={}, now=NOW
        )
    )


async def _add(database: Database, config: SourceConfig) -> SourceState | SourceClash:
    return await database.write(
        lambda connection: source_desk.add(
            connection, config, actor_id=OWNER, default_interval=900, first_fetch_at=NOW, now=NOW
        )
    )


async def test_the_file_sync_leaves_bot_sources_alone_and_refuses_their_names(
    database: Database,
) -> None:
    await _sync(database, _config("file-feed", "https://f.example/rss"))
    added = await _add(database, _config("bot-feed", "https://b.example/rss", region="RU-IRK"))
    assert isinstance(added, SourceState) and added.origin is SourceOrigin.BOT

    outcome = await _sync(
        database,
        _config("file-feed", "https://f.example/rss"),
        _config("bot-feed", "https://other.example/rss", region="RU-LIP"),
    )
    assert outcome.refused == ("bot-feed",)
    kept = await database.read(lambda connection: sources.get(connection, "bot-feed"))
    assert kept is not None
    assert (kept.url, kept.region, kept.origin) == (
        "https://b.example/rss",
        "RU-IRK",
        SourceOrigin.BOT,
    )

    await _sync(database)  # an empty sources file
    in_use = await database.read(sources.configured)
    assert [source.name for source in in_use] == ["bot-feed"]
    due = await database.read(lambda connection: sources.due(connection, NOW))
    assert [source.name for source in due] == ["bot-feed"]


async def test_a_bot_source_needs_a_free_name_and_address(database: Database) -> None:
    await _sync(database, _config("file-feed", "https://f.example/rss"))

    by_name = await _add(database, _config("FILE-FEED", "https://new.example/rss"))
    by_address = await _add(database, _config("new", "https://f.example/rss"))

    assert by_name == SourceClash(Clash.NAME, "file-feed")
    assert by_address == SourceClash(Clash.ADDRESS, "file-feed")


async def test_a_paused_source_is_not_due_and_resuming_makes_it_due_now(
    database: Database,
) -> None:
    added = await _add(database, _config("bot-feed", "https://b.example/rss"))
    assert isinstance(added, SourceState)

    paused = await database.write(
        lambda connection: source_desk.pause(connection, added.id, actor_id=OWNER, now=NOW)
    )
    later = NOW + timedelta(days=1)
    assert paused is not None and paused.after is not None and paused.after.paused
    assert await database.read(lambda connection: sources.due(connection, later)) == ()

    await database.write(
        lambda connection: source_desk.resume(connection, added.id, actor_id=OWNER, now=later)
    )
    [due] = await database.read(lambda connection: sources.due(connection, later))
    assert (due.name, due.next_fetch_at, due.paused) == ("bot-feed", later, False)


async def test_only_sources_the_file_does_not_own_can_be_removed(database: Database) -> None:
    await _sync(database, _config("file-feed", "https://f.example/rss"))
    file_feed = await database.read(lambda connection: sources.get(connection, "file-feed"))
    assert file_feed is not None

    def remove(source_id: int) -> Awaitable[source_desk.Change | RemoveRefused | None]:
        return database.write(
            lambda connection: source_desk.remove(connection, source_id, actor_id=OWNER, now=NOW)
        )

    assert await remove(file_feed.id) is RemoveRefused.IN_FILE
    await _sync(database)  # dropped from the file: kept for its articles, now removable
    removed = await remove(file_feed.id)
    assert isinstance(removed, source_desk.Change) and removed.before.name == "file-feed"
    assert await remove(file_feed.id) is None


def test_the_sources_router_is_guarded_at_the_router_for_messages_and_buttons() -> None:
    router = build_router()
    for observer in (router.message, router.callback_query):
        guards = [f.callback for f in observer._handler.filters or ()]
        assert [type(guard) for guard in guards] == [IsAdmin]


def _worst(number: int) -> SourceOverview:
    state = _state(
        "n" * 500 + str(number),
        id=number,
        url="https://a.example/" + "p" * 3000,
        region="RU-IRK",
        section="s" * 32,
        consecutive_errors=99,
        last_error="e" * 3000,
        disabled_reason="d" * 3000,
        paused_at=NOW,
        paused_by=10**12,
        last_fetched_at=NOW,
        last_success_at=NOW,
        origin=SourceOrigin.BOT,
    )
    return SourceOverview(state, in_use=False, recent_articles=10**6)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_longest_list_preview_and_report_fit_one_message(language: str) -> None:
    regions = {region.code: region for region in load_reference().regions}
    with speaking(language):
        page, _markup = sources_view([_worst(number) for number in range(12)], 1)
        preview, _markup = preview_view(
            "n" * 500,
            Preview(items=500, titles=("t" * 500,) * 5, regions=tuple((c, 9) for c in regions)),
            regions,
        )
        report = import_report(
            ImportReport(
                added=tuple("a" * 500 + str(n) for n in range(1000)),
                skipped=tuple(
                    Skipped("l" * 500, SkipReason.INVALID, "x" * 3000) for _ in range(1000)
                ),
            )
        )
    for text in (page, preview, report):
        assert 0 < text.length() <= TELEGRAM_LIMIT


async def test_a_file_source_named_like_a_bot_source_is_reported_and_not_used(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    bot_feed = _config("mine", web_stand.url("/mine.rss"), region="RU-IRK")
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        await _add(runtime.database, bot_feed)

    clash = f'\n[[source]]\nname = "mine"\nurl = "{web_stand.url("/file.rss")}"\n'
    write_sources(settings.sources_file, web_stand, clash)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=True)
        kept = await runtime.database.read(lambda connection: sources.get(connection, "mine"))

    assert [(p.source, p.error) for p in report.problems] == [("mine", NAME_TAKEN_IN_BOT)]
    assert kept is not None
    assert (kept.url, kept.origin, kept.region) == (bot_feed.url, SourceOrigin.BOT, "RU-IRK")
