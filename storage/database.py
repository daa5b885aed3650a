"""The SQLite database: pragmas, units of work on a writing and a reading connection,
numbered forward-only migrations, and storage faults told apart from data problems.

One :class:`Database` is opened by the composition root and closed by it. All SQL of the
project lives in this package, as unit-of-work functions of a ``sqlite3.Connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
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


class StorageFault(Exception):
    """The database itself failed: a corrupt page, an unreadable or full disk, a closed file.

    Not the fault of the data being written nor of any source, so an ingest pass stops rather
    than count it against each source. Raised by :meth:`Database.read` and
    :meth:`Database.write` in place of the driver's error (which is the ``__cause__``).
    ``verdict`` is ``PRAGMA integrity_check``'s answer once someone asked for it
    (:meth:`Database.diagnose`): checking a large file takes a while, so not on every fault.
    """

    def __init__(self, path: Path, reason: str, verdict: str | None = None) -> None:
        super().__init__(path, reason, verdict)
        self.path = path
        self.reason = reason
        self.verdict = verdict

    def __str__(self) -> str:
        text = f"the database at {self.path} failed: {self.reason}"
        if self.verdict is not None:
            text += f"; PRAGMA integrity_check: {self.verdict}"
        return text


# SQLite's primary result codes that are about contention or the data, not the file's health.
_NOT_FAULTS = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CONSTRAINT})


def _is_storage_fault(error: sqlite3.Error, *, reading: bool) -> bool:
    """SQLite-specific: which driver errors mean the database itself is unusable.

    Busy and locked are contention (the busy timeout already waited); a constraint
    (``IntegrityError``) is about the row being written, so it stays the caller's problem;
    ``readonly`` on the read connection is a unit that tried to write in :meth:`read`: a bug,
    not a broken disk. Everything else of class ``DatabaseError`` (corrupt, not a database,
    I/O error, disk full, cannot open, a closed connection, …) is a storage fault.
    """
    if not isinstance(error, sqlite3.DatabaseError) or isinstance(error, sqlite3.IntegrityError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return True
    primary = code & 0xFF
    if reading and primary == sqlite3.SQLITE_READONLY:
        return False
    return primary not in _NOT_FAULTS


class Database:
    """An open SQLite database: one connection that writes, one that only reads.

    Every repository call is a *unit of work*: a plain function of a ``sqlite3`` connection,
    run on a connection's thread in one hop by :meth:`read` or :meth:`write`. Units compose:
    a write unit may call several unit functions, and they commit (or roll back) together.

    aiosqlite runs every call (``execute``, ``fetchone``, closing a cursor, ``BEGIN``, …) as
    its own hop to the connection's thread and back, and a hop costs far more than the
    statement: ~200 µs of CPU against a few µs for a primary-key lookup, and under load each
    hop also waits for the GIL. So a unit goes over as a single hop.

    Reads run on their own connection and thread, each inside one read transaction: under
    WAL a reader sees the last committed state and never a write unit's half-done rows, and
    reads do not queue behind writes. (SQLite-specific; a PostgreSQL path would give
    :meth:`read` a ``REPEATABLE READ READ ONLY`` transaction from a pool.)

    One process owns a :class:`Database`; several processes on one file are safe (SQLite
    locks the file) but each has its own pair of connections.
    """

    def __init__(
        self, writer: aiosqlite.Connection, reader: aiosqlite.Connection | None, path: Path
    ) -> None:
        self._writer = writer
        self._reader = reader
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating directories and the file), set pragmas, apply pending migrations."""
        path = Path(path)
        connection = aiosqlite.connect(path, isolation_level=None)  # its thread starts below
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await connection
        except (OSError, aiosqlite.Error) as error:
            # A failed connect has queued its thread's stop with a future of this loop: wait
            # for the thread, or it reports to a loop that has closed ("Event loop is closed").
            if connection._thread.is_alive():  # private: aiosqlite has no public way
                await asyncio.to_thread(connection._thread.join)
            raise DatabaseError(f"cannot open the database at {path}: {error}") from error
        writer.row_factory = aiosqlite.Row
        database = cls(writer, None, path)
        try:
            await writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await writer.execute("PRAGMA foreign_keys = ON")
            if migrate:
                await database.migrate(bundled_migrations())
            database._reader = await _open_reader(path)
        except (aiosqlite.Error, DatabaseError, StorageFault) as error:
            await writer.close()
            if isinstance(error, DatabaseError):
                raise
            raise DatabaseError(f"cannot prepare the database at {path}: {error}") from error
        return database

    async def close(self) -> None:
        """Close both connections; units already queued run first."""
        if self._reader is not None:
            await self._reader.close()
        await self._writer.close()

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` on the read connection's thread, in one hop, in one read transaction:
        it sees the last committed state, consistently across its statements, and cannot
        write (``PRAGMA query_only``)."""
        return await self._on_thread(self._read_connection(), _in_snapshot(work), reading=True)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` … ``COMMIT`` on the write connection's
        thread, in one hop; rolled back if it raises.

        Units need no turn-taking among themselves: the thread runs what is queued to it one
        at a time, in order, and a unit is a single item. To do several things atomically,
        call several unit functions inside one unit.
        """
        return await self._on_thread(self._writer, _in_transaction(work), reading=False)

    async def diagnose(self, fault: StorageFault) -> StorageFault:
        """``fault`` with ``PRAGMA integrity_check``'s verdict (SQLite-specific)."""
        return StorageFault(fault.path, fault.reason, await self.integrity_check())

    async def integrity_check(self, *, max_errors: int = 3) -> str:
        """``ok``, or the first problems ``PRAGMA integrity_check`` finds, on one line."""

        def check(connection: sqlite3.Connection) -> str:
            return _integrity_check(connection, max_errors)

        try:
            return await self._on_thread(self._read_connection(), check, reading=True)
        except StorageFault as fault:
            return f"could not run: {fault.reason}"

    def _read_connection(self) -> aiosqlite.Connection:
        # Before the reader is open (while migrating), reads go to the writer.
        return self._writer if self._reader is None else self._reader

    async def _on_thread(
        self, connection: aiosqlite.Connection, work: Work[T], *, reading: bool
    ) -> T:
        # aiosqlite has no public "run this on the connection's thread": its private
        # ``_execute`` (queue a callable, await its future) and ``_conn`` are what its own
        # methods use. Pinned in pyproject.toml; tests/test_storage.py covers both.
        queue_on_thread: Callable[[Callable[[], T]], Awaitable[T]] = connection._execute
        try:
            return await queue_on_thread(lambda: work(connection._conn))
        except (sqlite3.Error, ValueError) as error:
            # aiosqlite raises ValueError("Connection closed") once its thread has stopped.
            if isinstance(error, ValueError):
                if connection._connection is not None:
                    raise
                raise StorageFault(self.path, "the connection is closed") from error
            if _is_storage_fault(error, reading=reading):
                raise StorageFault(self.path, str(error)) from error
            raise

    async def applied_versions(self) -> tuple[int, ...]:
        def versions(connection: sqlite3.Connection) -> tuple[int, ...]:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            rows = connection.execute("SELECT version FROM schema_migrations ORDER BY version")
            return tuple(int(row[0]) for row in rows)

        return await self.write(versions)

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
            await self.write(_applying(migration))
            log.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
        return tuple(done)


def integrity_verdict(path: Path, *, max_errors: int = 3) -> str:
    """``PRAGMA integrity_check``'s verdict on the file at ``path``, opened read-only, for
    when no :class:`Database` is open (a fault while starting up). Blocking; SQLite-specific.
    """
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return f"could not run: {error}"
    try:
        return _integrity_check(connection, max_errors)
    except sqlite3.Error as error:
        return f"could not run: {error}"
    finally:
        connection.close()


def _integrity_check(connection: sqlite3.Connection, max_errors: int) -> str:
    rows = connection.execute(f"PRAGMA integrity_check({int(max_errors)})").fetchall()
    return "; ".join(str(row[0]) for row in rows) or "no answer"


async def _open_reader(path: Path) -> aiosqlite.Connection:
    reader = await aiosqlite.connect(path, isolation_level=None)
    reader.row_factory = aiosqlite.Row
    try:
        await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await reader.execute("PRAGMA query_only = ON")
    except aiosqlite.Error:
        await reader.close()
        raise
    return reader


def _applying(migration: Migration) -> Work[None]:
    def apply(connection: sqlite3.Connection) -> None:
        # executescript would COMMIT on its own; run the statements one by one instead.
        for statement in _split_statements(migration.script):
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, to_db(utc_now())),
        )

    return apply


def _in_snapshot(work: Work[T]) -> Work[T]:
    """SQLite-specific: a deferred ``BEGIN`` takes its snapshot at the first read, and holds
    it until ``COMMIT``, so a unit's statements all see the same committed state."""

    def run(connection: sqlite3.Connection) -> T:
        _begin(connection, "BEGIN")
        try:
            result = work(connection)
        except BaseException:
            _roll_back(connection)
            raise
        connection.execute("COMMIT")  # nothing was written: COMMIT only ends the snapshot
        return result

    return run


def _in_transaction(work: Work[T]) -> Work[T]:
    def run(connection: sqlite3.Connection) -> T:
        _begin(connection, "BEGIN IMMEDIATE")
        try:
            result = work(connection)
        except BaseException:
            _roll_back(connection)
            raise
        connection.execute("COMMIT")
        return result

    return run


def _begin(connection: sqlite3.Connection, statement: str) -> None:
    if connection.in_transaction:  # a COMMIT that failed earlier (disk full, I/O error)
        _roll_back(connection)
    connection.execute(statement)


def _roll_back(connection: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open; SQLite may already have rolled back on its
    own (full disk, I/O error, corruption), and the error that got us here is what counts."""
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")


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
