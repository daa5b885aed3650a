"""One bot process per database.

The running bot keeps caches of what it has read from the database (chats, subscriptions,
the catalogue) and assumes it is the only bot writing there, so a second ``regionews run`` on
the same database must not start. ``one_process_per_database`` takes an exclusive
``fcntl.flock`` on ``<database>.lock`` for the life of the process: the kernel releases it
when the process ends in any way (kill -9 included), so a crash never blocks a restart, and
a leftover lock file means nothing (on Windows, which has no ``flock``, there is no lock).
``regionews ingest`` and the other commands take no lock:
they touch no cache of the bot's, and SQLite serialises their writes with the bot's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.domain.errors import ConfigError


def lock_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


@contextlib.contextmanager
def one_process_per_database(database_path: Path) -> Iterator[None]:
    """Hold the database's process lock; ConfigError (one line) if another process has it."""
    if sys.platform == "win32":
        yield
        return
    import fcntl  # noqa: PLC0415  (POSIX only)

    path = lock_path(database_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ConfigError(
            f"cannot create the lock file {path} beside the database: {error.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise ConfigError(
                f"another regionews bot is already running on the database {database_path}"
                f"{who}: stop it first, or give this one its own DATABASE_PATH"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing the only descriptor releases the lock
