"""The database: pragmas, migrations applied once and recorded, reference data loaded."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app.composition import load_reference
from storage.database import Database, DatabaseError, Migration, bundled_migrations
from storage.reference import ReferenceRepository


async def test_open_creates_directories_sets_pragmas_and_records_migrations(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "db.sqlite3"
    database = await Database.open(path)
    try:

        def pragmas(connection: sqlite3.Connection) -> dict[str, object]:
            return {
                name: connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "query_only")
            }

        assert await database.write(pragmas) == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 5000,
            "query_only": 0,
        }
        reading = await database.read(pragmas)
        assert reading["journal_mode"] == "wal"
        assert reading["busy_timeout"] == 5000
        assert reading["query_only"] == 1  # a read unit cannot write
        versions = await database.applied_versions()
        assert versions == tuple(m.version for m in bundled_migrations())
    finally:
        await database.close()
    assert path.exists()


async def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = await Database.open(path)
    await first.close()
    second = await Database.open(path)
    try:
        assert await second.migrate(bundled_migrations()) == ()
    finally:
        await second.close()


async def test_a_failing_migration_leaves_nothing_half_applied(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        known = bundled_migrations()
        broken = Migration(
            len(known) + 1,
            "broken",
            "CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);",
        )
        with pytest.raises(Exception, match="nowhere"):
            await database.migrate((*known, broken))
        half = await database.read(
            lambda connection: connection.execute(
                "SELECT name FROM sqlite_master WHERE name = 'half'"
            ).fetchone()
        )
        assert half is None
        assert broken.version not in await database.applied_versions()
    finally:
        await database.close()


async def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    await database.write(
        lambda connection: connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 'now')"
        )
    )
    await database.close()
    with pytest.raises(DatabaseError, match="newer than this program"):
        await Database.open(tmp_path / "db.sqlite3")


async def test_an_unwritable_path_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseError, match="cannot open the database"):
        await Database.open(blocker / "db.sqlite3")


async def test_reference_data_is_loaded_and_reloading_it_is_harmless(tmp_path: Path) -> None:
    reference = load_reference()
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        repository = ReferenceRepository(database)
        for _ in range(2):
            await repository.sync(reference.regions, reference.sections, reference.topics)
        regions = await repository.regions()
        assert len(regions) == 89
        irkutsk = next(r for r in regions if r.code == "RU-IRK")
        assert irkutsk.timezone == "Asia/Irkutsk"
        assert irkutsk.name == "Иркутская область"
        sections = {s.slug: s.name for s in await repository.sections()}
        assert sections["regional"] == "Региональные новости"
        assert sections["interview"] == "Интервью с экспортером"
        assert sections["practice"] == "Лучшие практики ВЭД"
        topics = await repository.topics()
        assert {"light-industry", "agro", "export"} <= {t.slug for t in topics}
        assert all(t.keywords for t in topics)
    finally:
        await database.close()


async def test_a_unit_of_work_runs_on_the_database_thread_and_commits_whole(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))
        caller = threading.get_ident()

        def insert_two(connection: sqlite3.Connection) -> int:
            assert threading.get_ident() != caller  # aiosqlite's thread, not the event loop's
            assert connection.in_transaction  # inside BEGIN IMMEDIATE
            connection.execute("INSERT INTO t VALUES ('a')")
            connection.execute("INSERT INTO t VALUES ('b')")
            return threading.get_ident()

        writer = await database.write(insert_two)
        assert await database.write(lambda connection: threading.get_ident()) == writer
        rows = await database.read(
            lambda connection: [
                (threading.get_ident(), connection.in_transaction, row["v"])
                for row in connection.execute("SELECT v FROM t ORDER BY v")
            ]
        )
        reader = rows[0][0]
        # Reads have their own connection and thread, each inside one read transaction;
        # names work: the rows are sqlite3.Row.
        assert reader not in (caller, writer)
        assert rows == [(reader, True, "a"), (reader, True, "b")]
    finally:
        await database.close()


async def test_a_unit_of_work_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))

        def half_done(connection: sqlite3.Connection) -> None:
            connection.execute("INSERT INTO t VALUES ('kept?')")
            raise ValueError("changed my mind")

        with pytest.raises(ValueError, match="changed my mind"):
            await database.write(half_done)
        count = await database.read(
            lambda connection: connection.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        )
        assert count == 0
        # and the connection is usable afterwards: no transaction left open (BEGIN IMMEDIATE
        # inside one would raise), and the next unit commits
        await database.write(lambda connection: connection.execute("INSERT INTO t VALUES ('x')"))
        assert (
            await database.read(
                lambda connection: connection.execute("SELECT COUNT(*) FROM t").fetchone()[0]
            )
            == 1
        )
    finally:
        await database.close()


async def test_units_compose_into_one_transaction_and_run_side_by_side(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))

        def insert(value: str) -> Callable[[sqlite3.Connection], object]:
            return lambda connection: connection.execute("INSERT INTO t VALUES (?)", (value,))

        def both_then_abandon(connection: sqlite3.Connection) -> None:
            insert("first of two")(connection)
            insert("second of two")(connection)
            raise RuntimeError("abandoned")

        with pytest.raises(RuntimeError, match="abandoned"):
            await database.write(both_then_abandon)  # two units in one transaction: neither

        def both(connection: sqlite3.Connection) -> None:
            insert("a unit")(connection)
            insert("composed with another")(connection)

        await database.write(both)
        await asyncio.gather(*(database.write(insert(f"side by side {n}")) for n in range(50)))
        values = await database.read(
            lambda connection: [row[0] for row in connection.execute("SELECT v FROM t")]
        )
        assert values[:2] == ["a unit", "composed with another"]
        assert sorted(values[2:]) == sorted(f"side by side {n}" for n in range(50))
    finally:
        await database.close()


async def test_a_read_never_sees_a_write_that_is_half_done(tmp_path: Path) -> None:
    """A write unit paused inside its transaction: reads meanwhile see the committed state,
    and are not queued behind the write; once it commits, reads see all of it."""
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))
        await database.write(lambda connection: connection.execute("INSERT INTO t VALUES ('old')"))
        inserted = threading.Event()
        may_commit = threading.Event()

        def paused(connection: sqlite3.Connection) -> None:
            connection.execute("INSERT INTO t VALUES ('new 1')")
            connection.execute("UPDATE t SET v = 'changed' WHERE v = 'old'")
            inserted.set()
            assert may_commit.wait(timeout=10), "the test never let the write commit"
            connection.execute("INSERT INTO t VALUES ('new 2')")

        def values(connection: sqlite3.Connection) -> list[str]:
            return sorted(str(row[0]) for row in connection.execute("SELECT v FROM t"))

        writing = asyncio.create_task(database.write(paused))
        try:
            assert await asyncio.to_thread(inserted.wait, 10)
            async with asyncio.timeout(5):  # a read queued behind the write would hang here
                assert await database.read(values) == ["old"]
                assert await database.read(values) == ["old"]
            assert not writing.done()
        finally:
            may_commit.set()
        await writing
        assert await database.read(values) == ["changed", "new 1", "new 2"]
    finally:
        await database.close()


async def test_a_read_unit_cannot_write(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await database.read(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))
        # the failed read left no read transaction open: the next write is seen at once
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))
        await database.write(lambda connection: connection.execute("INSERT INTO t VALUES ('x')"))
        assert await database.read(
            lambda connection: [row[0] for row in connection.execute("SELECT v FROM t")]
        ) == ["x"]
    finally:
        await database.close()


_OUR_CODE = ("bot", "handlers", "storage", "bench", "tests")
_RAW_CONNECTION = re.compile(
    r"\b(?:db|database|_db|_database)\.(?:connection|_connection|_writer|_reader)\b"
    r"|\.connection\.execute|\.transaction\(|^\s*(?:import|from)\s+aiosqlite\b|\._execute\(",
    re.MULTILINE,
)


def test_no_raw_connection_or_transaction_outside_the_database_module() -> None:
    """All storage goes through units of work (``Database.read``/``write``): a raw aiosqlite
    connection or a multi-call transaction elsewhere would read or write outside them."""
    root = Path(__file__).resolve().parent.parent
    allowed = {root / "storage" / "database.py"}
    offenders = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for folder in _OUR_CODE
        for path in sorted((root / folder).rglob("*.py"))
        if path not in allowed and path != Path(__file__).resolve()
        for match in _RAW_CONNECTION.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    # and the pattern does catch what it is meant to (a test that cannot fail is a defect)
    for line in (
        "async with self._db.connection.execute('SELECT 1') as cursor:",
        "async with database.transaction() as connection:",
        "import aiosqlite",
        "connection = db._writer",
        "rows = await runtime.ingest.connection.execute('SELECT 1')",
    ):
        assert _RAW_CONNECTION.search(line), line
