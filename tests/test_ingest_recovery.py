"""Stories of things going wrong and coming back: a corrupted database stops ingesting without
blaming any source; a disabled source comes back when its configuration changes or by hand;
a new install fetches every source within seconds. Real SQLite files, real parser workers,
the loopback web stand, and ``python -m bot`` as a child process."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.composition import ingest_runtime
from bot.app.config import Settings
from bot.app.scheduling import IngestJob
from bot.domain.clock import ManualClock
from bot.ingest.ingestor import SourceStatus
from bot.ingest.schedule import FIRST_FETCH_SPREAD
from storage.database import Database, StorageFault
from storage.sources import SourceRepository
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import IRKUTSK_RSS, LIPETSK_PAGE, write_sources
from tests.test_cli import run_cli
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parent.parent


def cli_env(settings: Settings) -> dict[str, str]:
    """``python -m bot`` on the same database and sources file as ``settings``."""
    return {
        "PYTHONPATH": str(PROJECT),
        "DATABASE_PATH": str(settings.database_path),
        "SOURCES_FILE": str(settings.sources_file),
        "FETCH_ALLOW_PRIVATE": "true",
        "PARSE_WORKERS": "1",
    }


def corrupt_table(path: Path, table: str) -> None:
    """Write garbage over the root page of ``table`` in the (closed) database at ``path``."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        root = int(
            connection.execute(
                "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()[0]
        )
    finally:
        connection.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))


async def error_counts(path: Path) -> dict[str, int]:
    database = await Database.open(path, migrate=False)
    try:
        return {
            s.name: s.consecutive_errors for s in await SourceRepository(database).configured()
        }
    finally:
        await database.close()


async def test_a_corrupted_database_stops_the_ingest_command_with_one_line_and_exit_3(
    web_stand: WebStand, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        first = await runtime.ingestor.run_once(only_due=False)
        assert len(first.new_article_ids) == 5
    corrupt_table(settings.database_path, "articles")
    before = await error_counts(settings.database_path)
    assert before == {"irkutsk-export": 0, "lipetsk-list": 0}

    env = cli_env(settings)
    code, out, err = await run_cli("ingest", cwd=tmp_path, env=env)
    assert code == 3, (out, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(settings.database_path) in lines[0]
    assert "malformed" in lines[0]
    assert "PRAGMA integrity_check:" in lines[0]
    assert "PRAGMA integrity_check: ok" not in lines[0]
    assert "internal error" not in out + err
    assert await error_counts(settings.database_path) == before


@pytest.mark.parametrize("command", [("ingest",), ("sources",), ("sources", "enable", "x")])
async def test_a_database_failing_at_start_up_gives_one_line_and_exit_3(
    web_stand: WebStand, make_settings: SettingsFactory, tmp_path: Path, command: tuple[str, ...]
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)):
        pass
    corrupt_table(settings.database_path, "sources")  # read while syncing the sources file
    code, out, err = await run_cli(*command, cwd=tmp_path, env=cli_env(settings))
    assert code == 3, (out, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"regionews: the database at {settings.database_path} failed:")
    assert "PRAGMA integrity_check:" in lines[0]


async def test_a_corrupted_database_stops_the_scheduled_job_and_blames_no_source(
    web_stand: WebStand, make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        await runtime.ingestor.run_once(only_due=False)
    corrupt_table(settings.database_path, "articles")
    before = await error_counts(settings.database_path)

    clock = ManualClock(NOW + timedelta(days=1))  # every source is due
    notified: list[StorageFault] = []

    async def notify(fault: StorageFault) -> None:
        notified.append(fault)

    async with ingest_runtime(settings, clock=clock) as runtime:
        job = IngestJob(runtime.ingestor, on_failure=notify)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert await job.run() is None
        errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(errors) == 1, [r.getMessage() for r in errors]
        assert errors[0].levelno == logging.ERROR
        assert errors[0].exc_info is None  # one line, no traceback
        message = errors[0].getMessage()
        assert str(settings.database_path) in message
        assert "PRAGMA integrity_check" in message
        assert job.failure is not None
        assert notified == [job.failure]
        assert job.failure.verdict and job.failure.verdict != "ok"

        hits = web_stand.hits("/irkutsk.rss") + web_stand.hits("/lipetsk/")
        clock.advance(timedelta(days=1))
        assert await job.run() is None  # stopped: no more passes, no more fetches
        assert web_stand.hits("/irkutsk.rss") + web_stand.hits("/lipetsk/") == hits
        assert job.passes == 0
        assert len(notified) == 1
    assert await error_counts(settings.database_path) == before


async def test_a_source_gone_410_comes_back_when_its_address_is_corrected(
    web_stand: WebStand, make_settings: SettingsFactory, caplog: pytest.LogCaptureFixture
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    web_stand.add("/old.rss", b"gone", status=410)
    web_stand.add("/new.rss", IRKUTSK_RSS.replace(b"export38.example", b"moved.example"))
    settings = make_settings()
    entry = '\n[[source]]\nname = "moved"\nurl = "{url}"\n'
    write_sources(
        settings.sources_file, web_stand, extra=entry.format(url=web_stand.url("/old.rss"))
    )
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        moved = next(r for r in report.sources if r.source == "moved")
        assert moved.status is SourceStatus.ERROR and moved.disabled_reason

    clock.advance(timedelta(hours=1))
    async with ingest_runtime(settings, clock=clock) as runtime:  # the same file: stays off
        report = await runtime.ingestor.run_once(only_due=False)
        assert "moved" not in {r.source for r in report.sources}

    write_sources(
        settings.sources_file, web_stand, extra=entry.format(url=web_stand.url("/new.rss"))
    )
    clock.advance(timedelta(hours=1))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        async with ingest_runtime(settings, clock=clock) as runtime:
            source = await SourceRepository(runtime.database).get("moved")
            assert source is not None
            assert (source.disabled_reason, source.consecutive_errors) == (None, 0)
            assert source.next_fetch_at is not None
            assert source.next_fetch_at <= clock() + FIRST_FETCH_SPREAD
            clock.advance(FIRST_FETCH_SPREAD)
            report = await runtime.ingestor.run_once(only_due=True)
            moved = next(r for r in report.sources if r.source == "moved")
            assert (moved.status, moved.new) == (SourceStatus.NEW, 3)
    assert any(
        "moved" in r.getMessage() and "enabled again" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        ("interval", 'interval = "10m"', 'interval = "20m"'),
        ("region", 'region = "RU-IRK"', 'region = "RU-BU"'),
        ("topics", 'topics = ["export"]', 'topics = ["export", "agro"]'),
    ],
)
async def test_any_changed_configuration_restarts_a_source_disabled_after_failures(
    web_stand: WebStand, make_settings: SettingsFactory, change: str, before: str, after: str
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    web_stand.add("/flaky.rss", b"boom", status=500)
    settings = make_settings(max_consecutive_errors=2)
    entry = '\n[[source]]\nname = "flaky"\nurl = "{url}"\n{setting}\n'
    url = web_stand.url("/flaky.rss")
    write_sources(settings.sources_file, web_stand, extra=entry.format(url=url, setting=before))
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        for _ in range(2):
            await runtime.ingestor.run_once(only_due=False)
            clock.advance(timedelta(hours=1))
        flaky = await SourceRepository(runtime.database).get("flaky")
        assert flaky is not None and flaky.disabled_reason is not None, change

    web_stand.add("/flaky.rss", IRKUTSK_RSS)  # the site is fixed, and so is the file
    write_sources(settings.sources_file, web_stand, extra=entry.format(url=url, setting=after))
    async with ingest_runtime(settings, clock=clock) as runtime:
        flaky = await SourceRepository(runtime.database).get("flaky")
        assert flaky is not None
        assert (flaky.disabled_reason, flaky.consecutive_errors, flaky.last_error) == (
            None,
            0,
            None,
        )
        clock.advance(FIRST_FETCH_SPREAD)
        report = await runtime.ingestor.run_once(only_due=True)
        assert "flaky" in {r.source for r in report.sources}


async def test_sources_enable_brings_a_disabled_source_back_by_hand(
    web_stand: WebStand, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    web_stand.add("/old.rss", b"gone", status=410)
    settings = make_settings()
    write_sources(
        settings.sources_file,
        web_stand,
        extra=f'\n[[source]]\nname = "moved"\nurl = "{web_stand.url("/old.rss")}"\n',
    )
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        await runtime.ingestor.run_once(only_due=False)
    env = cli_env(settings)
    code, out, err = await run_cli("sources", "enable", "nope", cwd=tmp_path, env=env)
    assert code == 2, (out, err)
    assert err.strip().splitlines() == [
        "regionews: no source named 'nope' in the sources file;"
        " known: irkutsk-export, lipetsk-list, moved"
    ]

    code, out, err = await run_cli("sources", "enable", "moved", cwd=tmp_path, env=env)
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1
    assert out.startswith("moved: enabled again (was disabled: the site says the source is gone")
    database = await Database.open(settings.database_path, migrate=False)
    try:
        moved = await SourceRepository(database).get("moved")
    finally:
        await database.close()
    assert moved is not None
    assert (moved.disabled_reason, moved.consecutive_errors) == (None, 0)

    code, out, err = await run_cli("sources", "enable", "moved", cwd=tmp_path, env=env)
    assert code == 0, err
    assert out.startswith("moved: already enabled")


async def test_a_new_install_fetches_every_source_within_seconds(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    hourly = "".join(
        f'\n[[source]]\nname = "hourly-{n}"\nurl = "{web_stand.url("/irkutsk.rss")}"\n'
        'interval = "1h"\n'
        for n in range(8)
    )
    settings = make_settings()
    write_sources(settings.sources_file, web_stand, extra=hourly)
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        states = await SourceRepository(runtime.database).configured()
        assert len(states) == 10
        for state in states:
            assert state.next_fetch_at is not None
            assert NOW <= state.next_fetch_at < NOW + FIRST_FETCH_SPREAD, state.name
        clock.advance(FIRST_FETCH_SPREAD)
        report = await runtime.ingestor.run_once(only_due=True)
        assert len(report.sources) == 10
        assert SourceStatus.ERROR not in {r.status for r in report.sources}


async def test_a_source_never_fetched_is_due_soon_even_if_an_older_run_planned_it_later(
    make_settings: SettingsFactory,
) -> None:
    """A database from before (first fetches spread over the interval) or a bot stopped
    before its first fetch: on start-up a never-fetched source is pulled forward; a source
    fetched before keeps its plan."""
    settings = make_settings()
    settings.sources_file.write_text(
        '[[source]]\nname = "new"\nurl = "https://news.example/a.rss"\ninterval = "6h"\n'
        '[[source]]\nname = "old"\nurl = "https://news.example/b.rss"\ninterval = "6h"\n',
        encoding="utf-8",
    )
    later = NOW + timedelta(hours=5)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        sources = SourceRepository(runtime.database)
        configs = runtime.sources_file.sources
        await sources.sync_config(
            configs, default_interval=900, first_fetch_at={"new": later, "old": later}, now=NOW
        )
        old = await sources.get("old")
        assert old is not None
        await runtime.database.write(
            lambda connection: connection.execute(
                "UPDATE sources SET last_fetched_at = ?, next_fetch_at = ? WHERE name = 'old'",
                ("2024-06-10T05:00:00Z", "2024-06-10T11:00:00Z"),
            )
        )
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        sources = SourceRepository(runtime.database)
        new, old = await sources.get("new"), await sources.get("old")
        assert new is not None and old is not None
        assert new.next_fetch_at is not None and new.next_fetch_at < NOW + FIRST_FETCH_SPREAD
        assert old.next_fetch_at == datetime(2024, 6, 10, 11, 0, tzinfo=UTC)
