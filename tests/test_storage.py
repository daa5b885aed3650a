"""The database: pragmas, migrations applied once and recorded, reference data loaded."""

from __future__ import annotations

import asyncio
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
        connection = database.connection
        async with connection.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
        async with connection.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
        async with connection.execute("PRAGMA busy_timeout") as cursor:
            assert (await cursor.fetchone())[0] == 5000  # type: ignore[index]
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
        async with database.connection.execute(
            "SELECT name FROM sqlite_master WHERE name = 'half'"
        ) as cursor:
            assert await cursor.fetchone() is None
        assert broken.version not in await database.applied_versions()
    finally:
        await database.close()


async def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    await database.connection.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 'now')"
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

        worker = await database.write(insert_two)
        rows = await database.read(
            lambda connection: [
                (threading.get_ident(), row["v"])
                for row in connection.execute("SELECT v FROM t ORDER BY v")
            ]
        )
        assert rows == [(worker, "a"), (worker, "b")]  # names work: the rows are sqlite3.Row
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
        # and the connection is usable afterwards: no transaction left open
        assert not await database.read(lambda connection: connection.in_transaction)
    finally:
        await database.close()


async def test_a_unit_waits_for_an_open_transaction_and_units_run_side_by_side(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        await database.write(lambda connection: connection.execute("CREATE TABLE t (v TEXT)"))

        def insert(value: str) -> Callable[[sqlite3.Connection], object]:
            return lambda connection: connection.execute("INSERT INTO t VALUES (?)", (value,))

        unit: asyncio.Task[object] | None = None
        with pytest.raises(RuntimeError, match="abandoned"):
            async with database.transaction() as connection:
                await connection.execute("INSERT INTO t VALUES ('in the transaction')")
                unit = asyncio.create_task(database.write(insert("a unit")))
                for _ in range(20):
                    await asyncio.sleep(0)
                assert not unit.done()  # it waits: inside the transaction it would BEGIN again
                raise RuntimeError("abandoned")
        assert unit is not None
        await unit  # ran after the rollback, in its own transaction
        await asyncio.gather(*(database.write(insert(f"side by side {n}")) for n in range(50)))
        values = await database.read(
            lambda connection: [row[0] for row in connection.execute("SELECT v FROM t")]
        )
        assert values[0] == "a unit"
        assert sorted(values[1:]) == sorted(f"side by side {n}" for n in range(50))
    finally:
        await database.close()
