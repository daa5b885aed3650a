"""The cost of one storage unit of work: ``Database.read`` and ``Database.write`` of a
primary-key lookup and a one-row update, one after another and as a bot's updates do them
(two reads and a write, fifty updates in flight).

``python -m bench.bench_storage [--calls 3000]`` prints microseconds per call, wall clock and
this process's CPU. To compare two checkouts, run it in each (``PYTHONPATH=…``) turn about.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from storage.database import Database

ROWS = 1_000
IN_FLIGHT = 50


def _get(key: int) -> Callable[[sqlite3.Connection], object]:
    return lambda c: c.execute("SELECT v FROM k WHERE id = ?", (key % ROWS,)).fetchone()


def _put(key: int) -> Callable[[sqlite3.Connection], object]:
    return lambda c: c.execute("UPDATE k SET v = ? WHERE id = ?", (str(key), key % ROWS))


async def _timed(calls: int, run: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
    """Microseconds per call: wall clock, CPU."""
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, calls, IN_FLIGHT):
        await run(start)
    return (
        (time.perf_counter() - wall) / calls * 1e6,
        (time.process_time() - cpu) / calls * 1e6,
    )


async def measure(database: Database, calls: int) -> dict[str, tuple[float, float]]:
    async def reads(start: int) -> None:
        for key in range(start, start + IN_FLIGHT):
            await database.read(_get(key))

    async def writes(start: int) -> None:
        for key in range(start, start + IN_FLIGHT):
            await database.write(_put(key))

    async def update(key: int) -> None:
        await database.read(_get(key))
        await database.read(_get(key + 1))
        await database.write(_put(key))

    async def updates(start: int) -> None:
        await asyncio.gather(*(update(key) for key in range(start, start + IN_FLIGHT)))

    await _timed(IN_FLIGHT * 4, reads)  # warm-up
    await _timed(IN_FLIGHT * 4, writes)
    return {
        "read, one after another": await _timed(calls, reads),
        "write, one after another": await _timed(calls, writes),
        f"update (2 reads + 1 write), {IN_FLIGHT} in flight": await _timed(calls, updates),
    }


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "bench.sqlite3")
        try:
            await database.write(
                lambda c: c.execute("CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT)")
            )
            await database.write(
                lambda c: c.executemany(
                    "INSERT INTO k VALUES (?, ?)", [(n, str(n)) for n in range(ROWS)]
                )
            )
            figures = await measure(database, calls)
        finally:
            await database.close()
    for name, (wall, cpu) in figures.items():
        print(f"{name:45s} wall {wall:7.1f} µs  cpu {cpu:7.1f} µs")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=3_000)
    asyncio.run(main(parser.parse_args().calls))
