"""The SQLite connection: pragmas, one writer at a time, numbered forward-only migrations.

One :class:`Database` is opened by the composition root and closed by it. All SQL of the
project lives in this package.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

from storage.timestamps import to_db, utc_now

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5_000

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]
"""A unit of work: plain ``sqlite3`` calls, run on the database's thread in one hop."""


class DatabaseError(Exception):
    """The database file cannot be opened or migrated; the message says why."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    script: str


def bundled_migrations() -> tuple[Migration, ...]:
    """The migrations shipped in ``storage/migrations``, in order."""
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise DatabaseError(f"migrations must be numbered 0001, 0002, … with no gaps: {versions}")
    return tuple(found)


class Database:
    """An open SQLite database. Writes go through :meth:`write` or :meth:`transaction`, one
    at a time.

    aiosqlite runs every call (``execute``, ``fetchone``, closing a cursor, ``BEGIN``, …) as
    its own hop to the connection's thread and back, and a hop costs far more than the
    statement: ~200 µs of CPU against a few µs for a primary-key lookup, and under load each
    hop also waits for the GIL. :meth:`read` and :meth:`write` send a whole unit of work
    (a function of the ``sqlite3`` connection) as one hop; the bot's request paths use them.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._write_lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating directories and the file), set pragmas, apply pending migrations."""
        path = Path(path)
        connection = aiosqlite.connect(path, isolation_level=None)  # its thread starts below
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            await connection
        except (OSError, aiosqlite.Error) as error:
            # A failed connect has queued its thread's stop with a future of this loop: wait
            # for the thread, or it reports to a loop that has closed ("Event loop is closed").
            if connection._thread.is_alive():  # private: aiosqlite has no public way
                await asyncio.to_thread(connection._thread.join)
            raise DatabaseError(f"cannot open the database at {path}: {error}") from error
        connection.row_factory = aiosqlite.Row
        database = cls(connection, path)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            if migrate:
                await database.migrate(bundled_migrations())
        except (aiosqlite.Error, DatabaseError) as error:
            await connection.close()
            if isinstance(error, DatabaseError):
                raise
            raise DatabaseError(f"cannot prepare the database at {path}: {error}") from error
        return database

    @property
    def connection(self) -> aiosqlite.Connection:
        return self._connection

    async def close(self) -> None:
        async with self._write_lock:
            await self._connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception (or cancellation)."""
        async with self._write_lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` on the database's thread, in one hop, outside any transaction."""
        return await self._on_thread(work)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` … ``COMMIT`` on the database's thread, in
        one hop; rolled back if it raises.

        Units need no turn-taking among themselves: the thread runs what is queued to it one
        at a time, in order, and a unit is a single item. Only a :meth:`transaction` spans
        several items, so a unit waits while one is open; otherwise it is queued at once
        (checking and queueing happen in one step of the event loop, so no transaction can
        begin in between). Handing a lock from writer to writer cost each write a turn of a
        busy event loop, which serialised a burst of button presses.
        """
        if self._write_lock.locked():
            async with self._write_lock:
                return await self._on_thread(_in_transaction(work))
        return await self._on_thread(_in_transaction(work))

    async def _on_thread(self, work: Work[T]) -> T:
        # aiosqlite has no public "run this on the connection's thread": its private
        # ``_execute`` (queue a callable, await its future) and ``_conn`` are what its own
        # methods use. Pinned in pyproject.toml; tests/test_storage.py covers both.
        connection = self._connection
        queue_on_thread: Callable[[Callable[[], T]], Awaitable[T]] = connection._execute
        return await queue_on_thread(lambda: work(connection._conn))

    async def applied_versions(self) -> tuple[int, ...]:
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self._connection.execute(
            "SELECT version FROM schema_migrations ORDER BY version"
        ) as cursor:
            return tuple(int(row[0]) for row in await cursor.fetchall())

    async def migrate(self, migrations: tuple[Migration, ...]) -> tuple[int, ...]:
        """Apply the migrations not yet recorded, each in its own transaction. Idempotent."""
        applied = set(await self.applied_versions())
        newest_known = max((migration.version for migration in migrations), default=0)
        if applied and max(applied) > newest_known:
            raise DatabaseError(
                f"the database at {self.path} has schema version {max(applied)}, newer than this"
                f" program knows ({newest_known}); upgrade regionews"
            )
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with self.transaction() as connection:
                # executescript would COMMIT on its own; run the statements one by one instead.
                for statement in _split_statements(migration.script):
                    await connection.execute(statement)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, to_db(utc_now())),
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
        return tuple(done)


def _in_transaction(work: Work[T]) -> Work[T]:
    def run(connection: sqlite3.Connection) -> T:
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

    return run


def _split_statements(script: str) -> list[str]:
    """Split a migration script into complete statements (``sqlite3.complete_statement``)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise DatabaseError(f"migration ends with an incomplete statement: {buffer.strip()[:80]}")
    return statements
