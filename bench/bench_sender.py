"""The sender against the strict Telegram stand: its send rate under Telegram's 30/s limit,
the pipeline's own rate with the limits off, and a crash test. Prints each figure beside its
target and exits non-zero on a miss.

    python -m bench.bench_sender [--seconds 120] [--pipeline 5000] [--crash-chats 2000]
                                 [--kills 10] [--only rate|pipeline|crash]

* **rate**: a broadcast sized to last ``--seconds`` at the limit, to private chats on a stand
  enforcing Telegram's limits (30/s over all chats, a sliding one-second window). Targets:
  at least 97 % of 30/s from the first send to the last, every 429 honoured (the next try
  to that chat comes after the wait asked), zero lost, zero doubled.
* **pipeline**: ``--pipeline`` chats with the stand's limits and the pacing off: how fast the
  bot claims, renders, sends and records. Target: 600 messages/s.
* **crash**: a ``--crash-chats`` broadcast at the limit, drained by a sender process
  (``python -m bench.bench_sender --worker``: the bot's own Sender, Throttle and Bot on the
  database) killed with SIGKILL ``--kills`` times at random moments and started again.
  Targets: zero lost, at most one doubled per kill.

For rate and pipeline the stand runs in a process of its own (Telegram is another machine:
it does not share the bot's CPU); for the crash test the senders do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app.runtime import make_sender_bot, settle_garbage_collector
from bot.delivery.pacing import Pacer, PacingLimits
from bot.delivery.rendering import CardRenderer
from bot.delivery.sender import Sender, SenderPolicy
from bot.delivery.throttle import Throttle
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, broadcast_key
from bot.domain.models import ChatKind
from bot.readers.catalog import Catalog
from storage import outbox
from storage.chats import upsert_chat
from storage.database import Database
from tests.telegram_stand import RateLimits, StandChat, TelegramStand

LIMIT = 30.0
RATE_TARGET = 0.97
PIPELINE_TARGET = 600.0
BODY = "<b>Срочно</b>: движение по БАМу восстановлено, поезда идут по графику"
FIRST_CHAT = 10_000_000
START = datetime(2026, 3, 17, 6, 0, tzinfo=UTC)
REPORT_LIMIT = 64 * 1024 * 1024  # the stand's report is one JSON line


@dataclass
class CallLog:
    """When the stand counted each send, and what it answered (wrapped around its limiter)."""

    sends: list[tuple[float, int, int | None]] = field(default_factory=list)

    def wrap(self, stand: TelegramStand) -> None:
        limiter = stand._core.limiter  # noqa: SLF001  (the stand's own clock and verdicts)
        acquire = limiter.acquire

        def recorded(chat_id: int, *, private: bool, count: int = 1) -> int | None:
            verdict = acquire(chat_id, private=private, count=count)
            self.sends.append((time.monotonic(), chat_id, verdict))
            return verdict

        limiter.acquire = recorded  # type: ignore[method-assign]

    def accepted(self) -> list[float]:
        return [moment for moment, _, verdict in self.sends if verdict is None]

    def refusals(self) -> list[tuple[float, int, int]]:
        return [(m, chat, verdict) for m, chat, verdict in self.sends if verdict is not None]

    def dishonoured(self) -> int:
        """Refusals after which the chat was tried again before the wait asked was over."""
        by_chat: dict[int, list[tuple[float, int | None]]] = {}
        for moment, chat, verdict in self.sends:
            by_chat.setdefault(chat, []).append((moment, verdict))
        early = 0
        for tries in by_chat.values():
            for (moment, verdict), (later, _) in zip(tries, tries[1:], strict=False):
                if verdict is not None and later < moment + verdict - 0.05:
                    early += 1
        return early


def stand_chats(stand: TelegramStand, count: int) -> list[StandChat]:
    return [stand.private_chat(stand.user(FIRST_CHAT + n, f"Reader {n}")) for n in range(count)]


async def plan(database: Database, chat_ids: list[int], key: str) -> int:
    """Register the chats and put one broadcast row for each into the outbox."""
    rows = [
        PlannedDelivery(
            chat_id=chat_id,
            kind=DeliveryKind.BROADCAST,
            dedupe_key=broadcast_key(key),
            priority=Priority.URGENT,
            due_at=START,
            body=BODY,
        )
        for chat_id in chat_ids
    ]

    def work(connection: Any) -> int:
        for chat_id in chat_ids:
            upsert_chat(
                connection, chat_id, kind=ChatKind.PRIVATE, title="", language="ru", now=START
            )
        return outbox.enqueue(connection, rows, now=START)

    return await database.write(work)


class _NoChats:
    async def deactivate(self, chat_id: int, reason: str) -> bool:
        return True

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        return True


def build_sender(
    database: Database, token: str, api_url: str, *, pacing: PacingLimits, concurrency: int
) -> tuple[Sender, Any]:
    bot = make_sender_bot(token, api_url)
    names = Catalog(database=database, regions=(), sections=(), topics=())
    sender = Sender(
        database=database,
        bot=bot,
        throttle=Throttle(Pacer(pacing, time.monotonic)),
        chats=_NoChats(),
        renderer=CardRenderer(database=database, names=names),
        clock=lambda: datetime.now(UTC),
        policy=SenderPolicy(concurrency=concurrency),
    )
    return sender, bot


async def drain(database: Database, sender: Sender, count: int, seconds: float) -> None:
    """Run the sender until ``count`` deliveries are settled (or ``seconds`` pass)."""
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            states = await database.read(outbox.counts)
            if states["sent"] + states["failed"] + states["cancelled"] >= count:
                break
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        sender.stop()
        await task


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


@dataclass
class StandReport:
    copies: dict[int, int]  # copies a chat got -> chats
    log: CallLog

    @property
    def lost(self) -> int:
        return self.copies.get(0, 0)

    @property
    def doubled(self) -> int:
        return sum(chats for copies, chats in self.copies.items() if copies > 1)


async def stand_server(count: int, limited: bool) -> None:
    """``--stand``: a stand with ``count`` private chats in a process of its own (Telegram is
    another machine; here it does not share the bot's CPU). Prints its address and token; on
    a line from stdin, a JSON report (copies per chat, every send counted) and exits."""
    log = CallLog()
    async with TelegramStand(limits=RateLimits() if limited else RateLimits.off()) as stand:
        log.wrap(stand)
        chats = stand_chats(stand, count)
        # Telegram does not stop to collect its garbage; a full collection of this process's
        # heap (tens of ms) would hold requests and then count them in one burst.
        gc.collect()
        gc.disable()
        print(stand.base_url, stand.token, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        copies = Counter(len(stand.messages_in(chat)) for chat in chats)
        print(json.dumps({"copies": copies, "sends": log.sends}), flush=True)


@asynccontextmanager
async def stand_process(count: int, *, limited: bool) -> AsyncIterator[StandChannel]:
    arguments = ["--stand", str(count)] + (["--limited"] if limited else [])
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bench_sender",
        *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=REPORT_LIMIT,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        line = await asyncio.wait_for(server.stdout.readline(), 60)
        base_url, token = line.decode().split()
        yield StandChannel(server, base_url, token)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


@dataclass
class StandChannel:
    process: asyncio.subprocess.Process
    base_url: str
    token: str

    async def report(self) -> StandReport:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(b"report\n")
        await self.process.stdin.drain()
        found = json.loads(await self.process.stdout.readline())
        await self.process.wait()
        log = CallLog([(moment, chat, verdict) for moment, chat, verdict in found["sends"]])
        return StandReport({int(n): c for n, c in found["copies"].items()}, log)


async def bench_rate(seconds: float) -> bool:
    count = max(int(LIMIT * 0.98 * seconds), 10)
    chat_ids = [FIRST_CHAT + n for n in range(count)]
    async with stand_process(count, limited=True) as stand:
        with tempfile.TemporaryDirectory() as folder:
            database = await Database.open(Path(folder) / "outbox.sqlite3")
            try:
                await plan(database, chat_ids, "rate")
                sender, bot = build_sender(
                    database, stand.token, stand.base_url, pacing=PacingLimits(), concurrency=8
                )
                settle_garbage_collector()  # as `python -m bot` does once started
                try:
                    await drain(database, sender, count, seconds=seconds * 2 + 30)
                finally:
                    await bot.session.close()
                states = await database.read(outbox.counts)
            finally:
                await database.close()
        found = await stand.report()
    accepted = found.log.accepted()
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else float("inf")
    rate = (len(accepted) - 1) / span
    refusals = found.log.refusals()
    early = found.log.dishonoured()
    ok_rate = rate >= RATE_TARGET * LIMIT
    ok = ok_rate and found.lost == 0 and found.doubled == 0 and early == 0
    print(f"rate: {count} messages to {count} private chats, the stand enforcing 30/s")
    print(
        f"  {rate:.2f} messages/s over {span:.1f} s = {rate / LIMIT:.1%} of the limit"
        f" (target >= {RATE_TARGET:.0%}): {verdict(ok_rate)}"
    )
    print(
        f"  429s: {len(refusals)}, tried again too early: {early} (target 0);"
        f" lost: {found.lost} (target 0); doubled: {found.doubled} (target 0); outbox: {states}"
    )
    return ok


async def bench_pipeline(count: int) -> bool:
    chat_ids = [FIRST_CHAT + n for n in range(count)]
    async with stand_process(count, limited=False) as stand:
        with tempfile.TemporaryDirectory() as folder:
            database = await Database.open(Path(folder) / "outbox.sqlite3")
            try:
                await plan(database, chat_ids, "pipeline")
                sender, bot = build_sender(
                    database,
                    stand.token,
                    stand.base_url,
                    pacing=PacingLimits.off(),
                    concurrency=32,
                )
                try:
                    started, cpu = time.monotonic(), time.process_time()
                    report = await sender.run_once()
                    elapsed = time.monotonic() - started
                    cpu = time.process_time() - cpu
                finally:
                    await bot.session.close()
            finally:
                await database.close()
        found = await stand.report()
    rate = report.sent / elapsed
    ok = rate >= PIPELINE_TARGET and found.lost == 0 and found.doubled == 0
    print(f"pipeline: {count} messages, limits and pacing off, the stand in another process")
    print(
        f"  {rate:.0f} messages/s ({elapsed:.2f} s; target >= {PIPELINE_TARGET:.0f}):"
        f" {verdict(rate >= PIPELINE_TARGET)}; lost {found.lost}, doubled {found.doubled}"
    )
    print(
        f"  the bot's CPU: {cpu / report.sent * 1e6:.0f} us a message"
        f" ({report.sent / cpu:.0f} messages per CPU-second)"
    )
    return ok


# crash test ---------------------------------------------------------------------------------


async def worker(database_path: str, api_url: str, token: str) -> None:
    """``--worker``: a sender process on the database, until killed or SIGTERM."""
    database = await Database.open(database_path)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    sender, bot = build_sender(database, token, api_url, pacing=PacingLimits(), concurrency=8)
    try:
        print("ready", flush=True)
        await sender.run(stop)
    finally:
        await bot.session.close()
        await database.close()


async def start_worker(database_path: Path, stand: TelegramStand) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bench_sender",
        "--worker",
        str(database_path),
        stand.base_url,
        stand.token,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    if not await asyncio.wait_for(process.stdout.readline(), timeout=60):
        raise SystemExit(f"the sender process exited with {await process.wait()} at start")
    return process


async def bench_crash(count: int, kills: int, seed: int) -> bool:
    chance = random.Random(seed)
    log = CallLog()
    async with TelegramStand(limits=RateLimits()) as stand:
        log.wrap(stand)
        chats = stand_chats(stand, count)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "outbox.sqlite3"
            database = await Database.open(path)
            try:
                await plan(database, [chat.id for chat in chats], "crash")
            finally:
                await database.close()
            marks = sorted(chance.sample(range(count // 20, count - count // 20), kills))
            started = time.monotonic()
            for mark in marks:
                process = await start_worker(path, stand)
                while len(log.accepted()) < mark and process.returncode is None:  # noqa: ASYNC110
                    await asyncio.sleep(chance.uniform(0.001, 0.03))  # a random moment
                if process.returncode is None:
                    process.kill()
                await process.wait()
            process = await start_worker(path, stand)
            deadline = time.monotonic() + count / LIMIT * 2 + 60
            while len({c for _, c, v in log.sends if v is None}) < count:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            await process.wait()
            elapsed = time.monotonic() - started
            database = await Database.open(path)
            try:
                states = await database.read(outbox.counts)
            finally:
                await database.close()
        copies = [len(stand.messages_in(chat)) for chat in chats]
    lost = copies.count(0)
    doubled = sum(n - 1 for n in copies if n > 1)
    most = max(copies)
    ok = lost == 0 and doubled <= kills and most <= 2
    print(f"crash: {count}-chat broadcast at 30/s, {kills} SIGKILLs at random moments")
    print(
        f"  lost: {lost} (target 0): {verdict(lost == 0)}; doubled: {doubled}"
        f" (target <= {kills}, one per kill): {verdict(doubled <= kills)};"
        f" most copies in one chat: {most}; {elapsed:.0f} s; outbox: {states}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--pipeline", type=int, default=5000)
    parser.add_argument("--crash-chats", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--only", choices=("rate", "pipeline", "crash"))
    parser.add_argument("--worker", nargs=3, metavar=("DATABASE", "API_URL", "TOKEN"))
    parser.add_argument("--stand", type=int, metavar="CHATS")
    parser.add_argument("--limited", action="store_true")
    arguments = parser.parse_args()
    if arguments.worker:
        asyncio.run(worker(*arguments.worker))
        return 0
    if arguments.stand:
        asyncio.run(stand_server(arguments.stand, arguments.limited))
        return 0
    results: list[bool] = []
    if arguments.only in (None, "pipeline"):
        results.append(asyncio.run(bench_pipeline(arguments.pipeline)))
    if arguments.only in (None, "rate"):
        results.append(asyncio.run(bench_rate(arguments.seconds)))
    if arguments.only in (None, "crash"):
        results.append(
            asyncio.run(bench_crash(arguments.crash_chats, arguments.kills, arguments.seed))
        )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
