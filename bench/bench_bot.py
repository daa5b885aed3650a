"""regionews against a bare aiogram echo bot, each its own process long-polling the fake
Telegram Bot API that runs in the bench's process.

Simulated readers in private chats send ``/start``, press «Иркутская область» on the set-up
keyboard and send ``/latest``. The stand (flood limits off) and the readers live in this
process; each bot is a child process talking HTTP to the stand, as in production
(``bench.bot_contenders``): first regionews (``python -m bot run`` on a temporary database
with seeded Irkutsk articles), then the echo bot (``python -m bench.echo_bot``) on aiogram
as it comes, the issue's yardstick, then the same echo bot on regionews's runtime (its Bot
API session and garbage collector settings, ``ECHO_RUNTIME=regionews``), in the same run
and on the same stand. The throughput target is against the first echo bot; the ratio to
the second, which compares handler work only, is printed beside it. Each bot is started,
waited for until its first long poll, measured, then stopped with SIGTERM (killed when it
does not exit in time).

Handled, seen from the stand only (``bench.bot_replies``). Every reader goes through the
same sequence of updates (the bursts below, then the open-loop steps), so the API calls a
bot makes to answer a reader's k-th update (how many of each method: calls naming the
chat, or the button press's callback query) are the same for every reader. The warm-up
learns them: other readers go through the whole sequence one step at a time, each step's
updates queued at once; the bench waits until every one got a call and no call came for
any chat for ``QUIET_SECONDS`` with no update left to fetch, then takes each chat's calls.
All readers must agree, else the bench stops: the numbers are then exact (printed as
"calls a reader's … update takes"). In the measured phases an update counts as *handled*
when the stand has recorded all of its calls; a call naming a chat goes to the oldest
update of that chat still owed that method, one naming a query to its press. At the end
the bench waits for quiet once more and reports any *surplus* call (one no update was
owed), which would mean the learned calls were wrong, and how many open-loop updates were
queued before their chat's previous one was handled (only there can two updates of a
chat owing the same method trade first-reply times).

Measured:

- throughput: every reader's ``/start`` queued at once, then every press, then every
  ``/latest``; each burst is timed from its first update queued to its last one handled,
  run ``--repeat`` times with new readers; updates/s over the median burst of each step;
- latency, open loop: updates queued on a fixed schedule at ``--rate`` per second for
  ``--seconds`` whatever the bot does, cycling readers through the same three steps (each
  reader's updates ``readers / rate`` seconds apart); latency is from queuing an update on
  the stand to the stand recording the bot's first reply to it (``sendMessage``,
  ``editMessageText``, ``answerCallbackQuery``, …);
- CPU seconds of each bot's process tree (``/proc/<pid>/stat``, its parser workers
  included) and of the bench process (stand + readers) in each phase; the bot's total from
  ``getrusage(RUSAGE_CHILDREN)`` once it has exited.

Targets: regionews at least half the bare echo bot's throughput; its p99 under 100 ms. The
exit code is 1 when a target is missed.

    python -m bench.bench_bot [--readers 200] [--repeat 3] [--seconds 10] [--rate 100]

The stand's own work (HTML and keyboard checks, JSON) is in the bench process, not in the
bots'. The bench process's garbage collector is paused while a phase is timed (collected
before it), so its pauses are not counted as a bot's. With two bots run one after the
other each gets the machine to itself apart from the bench process (the load average is
printed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bench.bot_contenders import (
    BotCommand,
    BotProcess,
    bot_process,
    children_cpu_seconds,
    echo_command,
    regionews_command,
)
from bench.bot_replies import Calls, Pending, TimedStand
from bot.app import make_bot
from tests.telegram_stand import ApiCall, Person, RateLimits, StandChat, StandMessage

THROUGHPUT_RATIO_TARGET = 0.5
P99_TARGET_SECONDS = 0.100
REGION_BUTTON = "Иркутская область"
ECHO_BUTTON_DATA = "tg:r:RU-IRK:1:0:o:1"
OFFER_TEXT = "Выберите регион (кнопка от стенда)"
SETTLE_TIMEOUT_SECONDS = 60.0
QUIET_SECONDS = 1.0
FIRST_READER_ID = 100_000


@dataclass(frozen=True, slots=True)
class Reader:
    person: Person
    chat: StandChat


Step = Callable[[TimedStand, Reader, Calls | None], Awaitable[Pending]]


async def send_start(stand: TimedStand, reader: Reader, expected: Calls | None) -> Pending:
    pending = stand.replies.expect(reader.chat.id, expected)
    await reader.person.send(reader.chat, "/start")
    return pending


async def press_region(stand: TimedStand, reader: Reader, expected: Calls | None) -> Pending:
    """Press «Иркутская область» (✅ or not) on the newest message that has it."""
    target = region_keyboard(stand, reader.chat)
    if target is None:
        raise LookupError(f"no message with «{REGION_BUTTON}» in {reader.chat!r}")
    data = next(
        str(button["callback_data"])
        for button in target.buttons()
        if str(button["text"]).endswith(REGION_BUTTON)
    )
    pending = stand.replies.expect(reader.chat.id, expected)
    query_id = await reader.person.press(target, data)
    stand.replies.expect_query(pending, query_id)
    return pending


async def send_latest(stand: TimedStand, reader: Reader, expected: Calls | None) -> Pending:
    pending = stand.replies.expect(reader.chat.id, expected)
    await reader.person.send(reader.chat, "/latest")
    return pending


SCENARIO: tuple[Step, ...] = (send_start, press_region, send_latest)
STEP_LABELS = ("/start", REGION_BUTTON, "/latest")


def region_keyboard(stand: TimedStand, chat: StandChat) -> StandMessage | None:
    for message in reversed(stand.messages_in(chat)):
        if any(text.endswith(REGION_BUTTON) for row in message.button_texts() for text in row):
            return message
    return None


async def offer_region_buttons(stand: TimedStand, readers: Sequence[Reader]) -> None:
    """The echo bot never sends a keyboard: put one in each chat for the readers to press
    (sent with the stand's token from this process; the tracker skips ``OFFER_TEXT``)."""
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=REGION_BUTTON, callback_data=ECHO_BUTTON_DATA)]
        ]
    )
    stand.replies.bench_texts.add(OFFER_TEXT)
    helper = make_bot(stand.token, stand.base_url)
    try:
        for reader in readers:
            await helper.send_message(reader.chat.id, OFFER_TEXT, reply_markup=keyboard)
    finally:
        await helper.session.close()


@dataclass(frozen=True, slots=True)
class Batch:
    updates: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of a bot's run: wall seconds and the CPU seconds each side used."""

    name: str
    wall: float
    bot_cpu: float
    bench_cpu: float


@dataclass(slots=True)
class Meter:
    """CPU and wall clock at phase boundaries, for the bot process tree and this process."""

    child: BotProcess
    phases: list[Phase] = field(default_factory=list)
    _wall: float = field(default_factory=time.perf_counter)
    _bot: float = 0.0
    _bench: float = field(default_factory=time.process_time)

    def mark(self, name: str, bot_cpu: float | None = None) -> None:
        wall, bench = time.perf_counter(), time.process_time()
        bot = self.child.cpu_seconds() if bot_cpu is None else bot_cpu
        self.phases.append(Phase(name, wall - self._wall, bot - self._bot, bench - self._bench))
        self._wall, self._bot, self._bench = wall, bot, bench


@dataclass(slots=True)
class Contender:
    """One bot under test on the stand: the calls it owes each reader's k-th update."""

    name: str
    stand: TimedStand
    needs_buttons: bool
    expected: list[Calls] = field(default_factory=list)
    sent: Counter[int] = field(default_factory=Counter)

    async def queue(self, step: Step, reader: Reader, *, learning: bool = False) -> Pending:
        number = self.sent[reader.chat.id]
        self.sent[reader.chat.id] += 1
        if learning:
            expected = None
        elif number < len(self.expected):
            expected = self.expected[number]
        else:
            raise RuntimeError(f"{self.name}: update {number + 1} of a reader was not learned")
        pending = await step(self.stand, reader, expected)
        pending.what = f"update {number + 1} ({STEP_LABELS[SCENARIO.index(step)]})"
        return pending

    async def prepare(self, step: Step, readers: Sequence[Reader]) -> None:
        if step is press_region and self.needs_buttons:
            bare = [r for r in readers if region_keyboard(self.stand, r.chat) is None]
            await offer_region_buttons(self.stand, bare)

    async def settle(self, pendings: Sequence[Pending]) -> None:
        """Wait until the bot has handled every update in ``pendings``."""
        if not await self.stand.replies.wait_handled(pendings, SETTLE_TIMEOUT_SECONDS):
            short = Counter(
                f"{p.what}: got {show_calls(p.got)} of {show_calls(p.expected)}"
                for p in pendings
                if not p.handled
            )
            shown = "; ".join(f"{count} × {what}" for what, count in short.most_common(5))
            surplus = Counter(describe(call) for call in self.stand.replies.surplus_calls)
            raise RuntimeError(
                f"{self.name}: {short.total()} of {len(pendings)} updates not handled"
                f" in {SETTLE_TIMEOUT_SECONDS:g} s ({shown}); {surplus.total()} surplus calls"
                + "".join(f"\n  {count} × {what}" for what, count in surplus.most_common(5))
            )

    async def quiet(self) -> None:
        stand = self.stand
        if not await stand.replies.wait_quiet(
            QUIET_SECONDS, SETTLE_TIMEOUT_SECONDS, lambda: not stand.pending_updates
        ):
            raise RuntimeError(f"{self.name}: still busy after {SETTLE_TIMEOUT_SECONDS:g} s")

    async def learn(self, readers: Sequence[Reader], steps: int) -> None:
        """The warm-up: ``readers`` go through the first ``steps`` updates of the sequence,
        one burst at a time; the calls each needs are counted once the bot is quiet."""
        for number in range(steps):
            step = SCENARIO[number % len(SCENARIO)]
            await self.prepare(step, readers)
            pendings = [await self.queue(step, reader, learning=True) for reader in readers]
            tracker = self.stand.replies
            answered = await tracker.wait_until(all_answered(pendings), SETTLE_TIMEOUT_SECONDS)
            await self.quiet()
            tracker.close(pendings)
            counts = Counter(show_calls(p.got) for p in pendings)
            label = STEP_LABELS[number % len(SCENARIO)]
            if not answered or len(counts) != 1:
                shown = "; ".join(f"{c} × {calls}" for calls, c in counts.most_common())
                raise RuntimeError(
                    f"{self.name}: a reader's update {number + 1} ({label}) got varying calls"
                    f" ({shown}); 'handled' cannot be counted"
                )
            self.expected.append(Counter(pendings[0].got))

    async def burst(self, step: Step, readers: Sequence[Reader]) -> Batch:
        """Queue one update per reader at once; time until the last is handled."""
        await self.prepare(step, readers)
        with collector_paused():
            started = time.perf_counter()
            pendings = [await self.queue(step, reader) for reader in readers]
            await self.settle(pendings)
        finished = max(p.done_at or 0.0 for p in pendings)
        return Batch(updates=len(pendings), seconds=finished - started)

    async def bursts(self, readers: Sequence[Reader]) -> list[Batch]:
        """The scenario as three bursts: every /start, then every press, then every /latest."""
        return [await self.burst(step, readers) for step in SCENARIO]

    async def open_loop(
        self, readers: Sequence[Reader], *, rate: float, seconds: float
    ) -> list[Pending]:
        """Queue ``rate`` updates a second on a fixed schedule, whatever the bot does."""
        loop = asyncio.get_running_loop()
        total = open_loop_updates(rate, seconds)
        pendings: list[Pending] = []
        with collector_paused():
            started = loop.time()
            for number in range(total):
                delay = started + number / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                reader = readers[number % len(readers)]
                step = SCENARIO[(number // len(readers)) % len(SCENARIO)]
                pendings.append(await self.queue(step, reader))
            await self.settle(pendings)
        return pendings


@contextmanager
def collector_paused() -> Iterator[None]:
    """This process's cyclic garbage collector off while a phase is timed (as ``timeit``
    does), after a collection.

    The stand keeps every call and message it has seen; a full collection of that heap
    paused this process (stand and readers) for 200–430 ms, which the bench then counted
    as latency and burst time of whichever bot it was measuring at that moment.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def show_calls(calls: Calls | None) -> str:
    if calls is None:
        return "?"
    return (
        " + ".join(
            f"{count}×{method}" if count > 1 else method for method, count in sorted(calls.items())
        )
        or "nothing"
    )


def describe(call: ApiCall) -> str:
    text = str(call.params.get("text", ""))[:60].replace("\n", " ")
    outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
    return f"{call.method} {outcome} {text!r}"


def all_answered(pendings: Sequence[Pending]) -> Callable[[], bool]:
    return lambda: all(pending.calls for pending in pendings)


def open_loop_updates(rate: float, seconds: float) -> int:
    return max(int(rate * seconds), 1)


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    batches: tuple[Batch, ...]
    latencies: tuple[float, ...]
    calls_per_update: tuple[Calls, ...]
    overlapped: int
    surplus: int
    failures: Counter[str]
    phases: tuple[Phase, ...]
    total_cpu: float
    exit_code: int
    stderr_lines: tuple[str, ...]

    @property
    def updates(self) -> int:
        return sum(batch.updates for batch in self.batches)

    @property
    def throughput(self) -> float:
        seconds = sum(batch.seconds for batch in self.batches)
        return self.updates / seconds if seconds > 0 else 0.0

    def latency_ms(self, percent: float) -> float:
        return percentile(self.latencies, percent) * 1000


def median_batch(batches: list[Batch]) -> Batch:
    """The run of one step with the median duration (the machine may be busy with others)."""
    return sorted(batches, key=lambda batch: batch.seconds)[(len(batches) - 1) // 2]


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return ordered[rank - 1]


async def measure(
    contender: Contender,
    command: BotCommand,
    folder: Path,
    *,
    first_id: int,
    readers: int,
    rate: float,
    seconds: float,
    repeat: int,
) -> Figures:
    stand = contender.stand
    people = [
        Reader(person, stand.private_chat(person))
        for person in (
            stand.user(first_id + n, f"Читатель {n}") for n in range((repeat + 1) * readers)
        )
    ]
    groups = [people[start : start + readers] for start in range(0, len(people), readers)]
    steps = len(SCENARIO) + math.ceil(open_loop_updates(rate, seconds) / readers)
    failed_before = len(stand.replies.failed_calls)
    surplus_before = len(stand.replies.surplus_calls)
    cpu_before = children_cpu_seconds()
    async with bot_process(command, folder) as child:
        meter = Meter(child)
        await child.ready(stand)
        meter.mark("start")
        await contender.learn(groups[0], steps)
        meter.mark("warm-up")
        runs = [await contender.bursts(group) for group in groups[1:]]
        meter.mark("bursts")
        pendings = await contender.open_loop(groups[-1], rate=rate, seconds=seconds)
        meter.mark("open loop")
        await contender.quiet()
        meter.mark("quiet")
        last = child.cpu_seconds()
        exit_code = await child.stop()
    total_cpu = children_cpu_seconds() - cpu_before
    meter.mark("stop", bot_cpu=max(total_cpu, last))
    await stand.wait_for(lambda: not stand.polling, timeout=SETTLE_TIMEOUT_SECONDS)
    return Figures(
        name=contender.name,
        batches=tuple(median_batch(list(same_step)) for same_step in zip(*runs, strict=True)),
        latencies=tuple(p.latency for p in pendings if p.latency is not None),
        calls_per_update=tuple(contender.expected),
        overlapped=sum(1 for p in pendings if p.overlapped),
        surplus=len(stand.replies.surplus_calls) - surplus_before,
        failures=Counter(
            f"{call.method} {call.error_code} {call.description}"
            for call in stand.replies.failed_calls[failed_before:]
        ),
        phases=tuple(meter.phases),
        total_cpu=total_cpu,
        exit_code=exit_code,
        stderr_lines=tuple(child.stderr.splitlines()),
    )


async def bench(
    *, readers: int, rate: float, seconds: float, repeat: int
) -> tuple[Figures, Figures, Figures]:
    """regionews, the bare echo bot and the echo bot on regionews's runtime, measured one
    after the other; SIGTERM or SIGINT cancels it, stopping the bot that runs."""
    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    if this is not None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, this.cancel)
    async with TimedStand(limits=RateLimits.off()) as stand:
        with tempfile.TemporaryDirectory(prefix="bench-bot-") as name:
            folder = Path(name)
            ours = await measure(
                Contender("regionews", stand, needs_buttons=False),
                await regionews_command(stand, folder / "regionews"),
                folder / "regionews",
                first_id=FIRST_READER_ID,
                readers=readers,
                rate=rate,
                seconds=seconds,
                repeat=repeat,
            )
            echoes = []
            for number, runtime in enumerate(("bare", "regionews"), 1):
                command = echo_command(stand, runtime)
                echoes.append(
                    await measure(
                        Contender(command.name, stand, needs_buttons=True),
                        command,
                        folder / f"echo-{runtime}",
                        first_id=FIRST_READER_ID + number * (repeat + 1) * readers,
                        readers=readers,
                        rate=rate,
                        seconds=seconds,
                        repeat=repeat,
                    )
                )
    bare, tuned = echoes
    return ours, bare, tuned


def _ratio(ours: Figures, other: Figures) -> float:
    return ours.throughput / other.throughput if other.throughput else 0.0


def report(
    ours: Figures, echo: Figures, tuned: Figures, *, readers: int, rate: float, seconds: float
) -> bool:
    """Print the figures; True if regionews meets both targets. The throughput target is
    against ``echo`` (bare aiogram); ``tuned`` (the echo bot on regionews's runtime) is
    shown beside it, without a target."""
    ratio = _ratio(ours, echo)
    throughput_ok = ratio >= THROUGHPUT_RATIO_TARGET
    p99_ok = ours.latency_ms(99) < P99_TARGET_SECONDS * 1000 and not ours.surplus
    print(
        f"readers {readers}, bursts of /start, «{REGION_BUTTON}», /latest"
        f" ({ours.updates} updates a bot); open loop {rate:g} updates/s for {seconds:g} s;"
        f" each bot its own process; {os.cpu_count()} CPUs, load average"
        f" {os.getloadavg()[0]:.2f}"
    )
    print(
        f"throughput: regionews {ours.throughput:.0f} updates/s, echo {echo.throughput:.0f}"
        f" updates/s, ratio {ratio:.2f} (target >= {THROUGHPUT_RATIO_TARGET})"
    )
    print(
        f"  beside it: {tuned.name} {tuned.throughput:.0f} updates/s, ratio"
        f" {_ratio(ours, tuned):.2f} (handler work only; no target)"
    )
    everyone = (ours, echo, tuned)
    for figures in everyone:
        steps = ", ".join(
            f"{label} {batch.seconds * 1000:.0f} ms"
            for label, batch in zip(STEP_LABELS, figures.batches, strict=True)
        )
        print(f"bursts of {readers}, {figures.name}: {steps}")
    for figures in everyone:
        print(
            f"latency at {rate:g} updates/s, {figures.name}: p50 {figures.latency_ms(50):.1f} ms,"
            f" p99 {figures.latency_ms(99):.1f} ms, max {figures.latency_ms(100):.1f} ms"
            f" ({len(figures.latencies)} updates, {figures.overlapped} queued before their"
            f" chat's previous one was handled, {figures.surplus} surplus calls,"
            f" {figures.failures.total()} failed API calls)"
        )
        for failure, count in figures.failures.most_common(3):
            print(f"  {figures.name}: {count} × {failure}")
    for figures in everyone:
        calls = " | ".join(show_calls(calls) for calls in figures.calls_per_update)
        print(f"calls a reader's 1st, 2nd, … update takes, {figures.name}: {calls}")
    for figures in everyone:
        phases = ", ".join(
            f"{phase.name} {phase.bot_cpu:.2f}/{phase.bench_cpu:.2f} s in {phase.wall:.1f} s"
            for phase in figures.phases
        )
        print(f"cpu, {figures.name} process/bench process: {phases}")
        print(
            f"  {figures.name}: {figures.total_cpu:.2f} CPU s in all (getrusage), exit code"
            f" {figures.exit_code}, {len(figures.stderr_lines)} lines on stderr"
        )
        for line in figures.stderr_lines[:5]:
            print(f"  {figures.name} stderr: {line}")
    verdict = "PASS" if throughput_ok else "FAIL"
    print(f"{verdict}: throughput ratio {ratio:.2f} >= {THROUGHPUT_RATIO_TARGET}")
    verdict = "PASS" if p99_ok else "FAIL"
    print(
        f"{verdict}: regionews p99 {ours.latency_ms(99):.1f} ms < {P99_TARGET_SECONDS * 1000:g} ms"
    )
    return throughput_ok and p99_ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--readers", type=int, default=200, help="readers (default 200)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="open-loop duration (default 10)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="bursts per step, each with new readers; the median counts (default 3)",
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="open-loop updates/s (default 100)"
    )
    args = parser.parse_args(argv)
    if args.readers < 1 or args.repeat < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--readers, --repeat, --rate and --seconds must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        ours, echo, tuned = asyncio.run(
            bench(readers=args.readers, rate=args.rate, seconds=args.seconds, repeat=args.repeat)
        )
    except asyncio.CancelledError:
        print("interrupted: the bots were stopped", file=sys.stderr)
        return 130
    met = report(ours, echo, tuned, readers=args.readers, rate=args.rate, seconds=args.seconds)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
