"""regionews against a bare aiogram echo bot, each its own process long-polling a fake
Telegram Bot API of its own in the bench's process, their throughput bursts interleaved.

Simulated readers in private chats send ``/start``, press «Иркутская область» on the set-up
keyboard and send ``/latest``. Three bots run as child processes talking HTTP to a stand,
as in production (``bench.bot_contenders``): regionews (``python -m bot run`` on a
temporary database with seeded Irkutsk articles), the echo bot (``python -m
bench.echo_bot``) on aiogram as it comes, the issue's yardstick, and the same echo bot on
regionews's runtime (its Bot API session, event loop and garbage collector settings,
``ECHO_RUNTIME=regionews``). Each bot has a stand of its own (its own port and token, flood
limits off, its own readers and reply tracker); the stands and the readers live in this
process. The throughput target is against the first echo bot; the ratio to the second,
which compares handler work only, is printed beside it.

The run, with all three bots in it from start to end:

1. start: the three are started at once and each waited for until its first long poll;
2. warm-up: each bot in turn, the others idle (below);
3. bursts: for each of ``--repeat`` repeats, for each step (``/start``, the press,
   ``/latest``), that step's burst for each bot in turn, never two bots' at once, their
   order rotated every repeat (regionews, echo, echo on regionews's runtime; then echo,
   echo on regionews's runtime, regionews; …): so a slow spell of the machine falls on
   every bot alike and no bot is always first;
4. open loop: each bot in turn, the others idle (a long poll waiting: no CPU), then waiting
   for that bot's quiet (below);
5. stop: SIGTERM to all of them at once (a bot is killed, its whole process group, when it
   does not exit in time, or whatever goes wrong in between).

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
update of that chat still owed that method, one naming a query to its press. After a bot's
open loop the bench waits for quiet once more and reports any *surplus* call on its stand
(one no update was owed), which would mean the learned calls were wrong, and how many
open-loop updates were queued before their chat's previous one was handled (only there can
two updates of a chat owing the same method trade first-reply times).

Measured:

- throughput: every reader's ``/start`` queued at once, then every press, then every
  ``/latest``; each burst is timed from its first update queued to its last one handled,
  run ``--repeat`` times with new readers, interleaved as above; updates/s over each bot's
  median burst of each step;
- latency, open loop: updates queued on a fixed schedule at ``--rate`` per second for
  ``--seconds`` whatever the bot does, cycling readers through the same three steps (each
  reader's updates ``readers / rate`` seconds apart); latency is from queuing an update on
  the stand to the stand recording the bot's first reply to it (``sendMessage``,
  ``editMessageText``, ``answerCallbackQuery``, …);
- CPU seconds of each bot's process tree (``/proc/<pid>/stat``, its parser workers
  included) in each phase, with the bench process's (stands + readers) beside it in the
  bot's own phases (warm-up, open loop, quiet); in the shared ones (start, bursts) the bot's
  figure is its own (in the bursts: its bursts plus its idle polls during the others') and
  the bench process's is printed once, for all three. Each bot's total is its process
  tree's just before SIGTERM (so its own stopping is left out); all three's together,
  stopping included, from ``getrusage(RUSAGE_CHILDREN)`` once they have exited.

Targets: regionews at least half the bare echo bot's throughput; its p99 under 100 ms. The
exit code is 1 when a target is missed.

    python -m bench.bench_bot [--readers 200] [--repeat 5] [--seconds 10] [--rate 100]

The stand's own work (HTML and keyboard checks, JSON) is in the bench process, not in the
bots'. The bench process's garbage collector is paused while a burst or an open loop is
timed (collected before each, what survives then frozen out of later collections), so its
pauses are not counted as a bot's. Between two bursts the bench idles ``BURST_GAP_SECONDS``
(0.2 s), so the bot whose burst just ended has finished before the next one's starts. One
bot works at a time apart from the start, each beside the bench process (the load average
is printed).
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
from contextlib import AsyncExitStack, contextmanager
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
from bot.app.runtime import make_bot
from tests.telegram_stand import ApiCall, Person, RateLimits, StandChat, StandMessage

THROUGHPUT_RATIO_TARGET = 0.5
P99_TARGET_SECONDS = 0.100
REGION_BUTTON = "Иркутская область"
ECHO_BUTTON_DATA = "tg:r:RU-IRK:1:0:o:1"
OFFER_TEXT = "Выберите регион (кнопка от стенда)"
SETTLE_TIMEOUT_SECONDS = 60.0
QUIET_SECONDS = 1.0
BURST_GAP_SECONDS = 0.2
FIRST_READER_ID = 100_000
FIRST_BOT_ID = 7_000_000_001
TOKEN_SECRET = "AAStandTestTokenForRegionewsBench"
BURSTS_PHASE = "bursts"
BOTS = 3  # regionews, the bare echo bot, the echo bot on regionews's runtime


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
    """One phase of a bot's run: wall seconds and the CPU seconds each side used.

    A *shared* phase ran every bot, at once (start) or in turn (bursts): its wall seconds and
    the bench process's CPU are the whole run's, the bot's CPU its own."""

    name: str
    wall: float
    bot_cpu: float
    bench_cpu: float
    shared: bool = False


@dataclass(frozen=True, slots=True)
class Reading:
    """Wall clock and CPU seconds so far, of one bot's process tree and of this process."""

    wall: float
    bot_cpu: float
    bench_cpu: float


@dataclass(slots=True)
class Meter:
    """One bot's phases: wall clock and CPU over each, its process tree's and this process's."""

    child: BotProcess
    phases: list[Phase] = field(default_factory=list)

    def read(self) -> Reading:
        return Reading(time.perf_counter(), self.child.cpu_seconds(), time.process_time())

    def add(self, name: str, start: Reading, *, shared: bool = False) -> None:
        end = self.read()
        self.phases.append(
            Phase(
                name,
                end.wall - start.wall,
                end.bot_cpu - start.bot_cpu,
                end.bench_cpu - start.bench_cpu,
                shared,
            )
        )

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """A phase of this bot's own (the other bots idle)."""
        start = self.read()
        yield
        self.add(name, start)


@contextmanager
def shared_phase(meters: Sequence[Meter], name: str) -> Iterator[None]:
    """A phase every bot is in: each meter takes it as a shared phase."""
    starts = [meter.read() for meter in meters]
    yield
    for meter, start in zip(meters, starts, strict=True):
        meter.add(name, start, shared=True)


@dataclass(slots=True)
class Contender:
    """One bot under test on its stand: the calls it owes each reader's k-th update."""

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
    as latency and burst time of whichever bot it was measuring at that moment. What
    survives the collection is frozen (``gc.freeze``: left out of later collections), so
    the next one, before the next bot's burst, takes milliseconds instead of 0.2 s.
    """
    gc.collect()
    gc.freeze()
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
    """What one bot did in the run."""

    name: str
    batches: tuple[Batch, ...]
    latencies: tuple[float, ...]
    calls_per_update: tuple[Calls, ...]
    overlapped: int
    surplus: int
    failures: Counter[str]
    burst_updates: int
    phases: tuple[Phase, ...]
    total_cpu: float
    exit_code: int
    stderr_lines: tuple[str, ...]

    @property
    def updates(self) -> int:
        """The updates of the median bursts, one a step."""
        return sum(batch.updates for batch in self.batches)

    @property
    def burst_cpu_ms(self) -> float:
        """The bot's CPU milliseconds per update of all its bursts (its idle polls while the
        other bots had theirs included)."""
        cpu = sum(phase.bot_cpu for phase in self.phases if phase.name == BURSTS_PHASE)
        return cpu / self.burst_updates * 1000 if self.burst_updates else math.nan

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


def stand_token(number: int) -> str:
    """The token of the ``number``-th bot's stand (0, 1, …): a bot id and secret of its own."""
    return f"{FIRST_BOT_ID + number}:{TOKEN_SECRET}{number:02d}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A bot to run: its stand, how to start it, its working folder, and whether its readers
    need a keyboard from the bench to press (the echo bot sends none)."""

    stand: TimedStand
    command: BotCommand
    folder: Path
    needs_buttons: bool


async def entries(stands: Sequence[TimedStand], folder: Path) -> tuple[Entry, ...]:
    """regionews, the bare echo bot and the echo bot on regionews's runtime, in that order,
    one on each of the three ``stands``; regionews's database made and seeded."""
    ours, bare, tuned = stands
    return (
        Entry(
            ours,
            await regionews_command(ours, folder / "regionews"),
            folder / "regionews",
            needs_buttons=False,
        ),
        Entry(bare, echo_command(bare, "bare"), folder / "echo-bare", needs_buttons=True),
        Entry(
            tuned, echo_command(tuned, "regionews"), folder / "echo-regionews", needs_buttons=True
        ),
    )


def reader_groups(
    stand: TimedStand, *, first_id: int, readers: int, groups: int
) -> tuple[tuple[Reader, ...], ...]:
    """``groups`` groups of ``readers`` new readers on ``stand``, ids from ``first_id``."""
    people = [
        Reader(person, stand.private_chat(person))
        for person in (stand.user(first_id + n, f"Читатель {n}") for n in range(groups * readers))
    ]
    return tuple(
        tuple(people[start : start + readers]) for start in range(0, len(people), readers)
    )


def by_step() -> tuple[list[Batch], ...]:
    return tuple([] for _ in SCENARIO)


@dataclass(frozen=True, slots=True)
class Lane:
    """One bot in the run: its contender on its own stand, its process and meter, its readers
    (the warm-up's group, then one group a repeat, the last one going on into the open loop)
    and its bursts so far, by step."""

    contender: Contender
    child: BotProcess
    meter: Meter
    groups: tuple[tuple[Reader, ...], ...]
    bursts: tuple[list[Batch], ...] = field(default_factory=by_step)


async def all_ready(children: Sequence[BotProcess], stands: Sequence[TimedStand]) -> None:
    """Wait until every bot has its first long poll on its stand; the first failure raised,
    the other waits cancelled."""
    waits = [
        asyncio.create_task(child.ready(stand))
        for child, stand in zip(children, stands, strict=True)
    ]
    try:
        await asyncio.gather(*waits)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


async def start_lanes(
    stack: AsyncExitStack, entries: Sequence[Entry], *, readers: int, repeat: int
) -> list[Lane]:
    """Start every bot at once, each killed with its process group when ``stack`` closes if
    it still runs, and wait until each polls; their readers made on their stands."""
    children = [
        await stack.enter_async_context(bot_process(entry.command, entry.folder))
        for entry in entries
    ]
    meters = [Meter(child) for child in children]
    with shared_phase(meters, "start"):
        await all_ready(children, [entry.stand for entry in entries])
    return [
        Lane(
            Contender(entry.command.name, entry.stand, needs_buttons=entry.needs_buttons),
            child,
            meter,
            reader_groups(
                entry.stand,
                first_id=FIRST_READER_ID + number * (repeat + 1) * readers,
                readers=readers,
                groups=repeat + 1,
            ),
        )
        for number, (entry, child, meter) in enumerate(zip(entries, children, meters, strict=True))
    ]


async def warm_up(lane: Lane, steps: int) -> None:
    with lane.meter.phase("warm-up"):
        await lane.contender.learn(lane.groups[0], steps)


def rotated(lanes: Sequence[Lane], number: int) -> list[Lane]:
    """The bots' order in repeat ``number`` (from 0): the first ``number`` moved to the end."""
    shift = number % len(lanes)
    return [*lanes[shift:], *lanes[:shift]]


async def interleaved_bursts(lanes: Sequence[Lane], repeat: int) -> None:
    """Each repeat, each step's burst for every bot in turn (one at a time), each bot with
    that repeat's new readers; the order of the bots rotated every repeat. A burst ends
    when the stand has recorded its last call: ``BURST_GAP_SECONDS`` let the bot finish
    what follows (the answer's way back, the handler's end) before the next burst."""
    with shared_phase([lane.meter for lane in lanes], BURSTS_PHASE):
        for number in range(repeat):
            for index, step in enumerate(SCENARIO):
                for lane in rotated(lanes, number):
                    await asyncio.sleep(BURST_GAP_SECONDS)
                    batch = await lane.contender.burst(step, lane.groups[1 + number])
                    lane.bursts[index].append(batch)


async def open_loop(lane: Lane, *, rate: float, seconds: float) -> list[Pending]:
    """The bot's open loop, the others idle, then its quiet."""
    with lane.meter.phase("open loop"):
        pendings = await lane.contender.open_loop(lane.groups[-1], rate=rate, seconds=seconds)
    with lane.meter.phase("quiet"):
        await lane.contender.quiet()
    return pendings


@dataclass(frozen=True, slots=True)
class Stopping:
    """Stopping every bot at once: wall seconds and this process's CPU; and the CPU all the
    bots used in the whole run, stopping included (``getrusage`` once they have exited)."""

    wall: float
    bench_cpu: float
    bots_cpu: float


async def stop_all(children: Sequence[BotProcess]) -> list[int]:
    """SIGTERM to every bot at once; their exit codes once each has exited (a bot that did
    not exit in time is killed, and its error raised once all are done)."""
    outcomes = await asyncio.gather(*(child.stop() for child in children), return_exceptions=True)
    codes: list[int] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        codes.append(outcome)
    return codes


def lane_figures(
    lane: Lane, pendings: Sequence[Pending], *, total_cpu: float, exit_code: int
) -> Figures:
    replies = lane.contender.stand.replies
    return Figures(
        name=lane.contender.name,
        batches=tuple(median_batch(same_step) for same_step in lane.bursts),
        latencies=tuple(p.latency for p in pendings if p.latency is not None),
        calls_per_update=tuple(lane.contender.expected),
        overlapped=sum(1 for p in pendings if p.overlapped),
        surplus=len(replies.surplus_calls),
        failures=Counter(
            f"{call.method} {call.error_code} {call.description}" for call in replies.failed_calls
        ),
        burst_updates=sum(batch.updates for same_step in lane.bursts for batch in same_step),
        phases=tuple(lane.meter.phases),
        total_cpu=total_cpu,
        exit_code=exit_code,
        stderr_lines=tuple(lane.child.stderr.splitlines()),
    )


@dataclass(frozen=True, slots=True)
class Run:
    """The figures of regionews, the bare echo bot and the echo bot on regionews's runtime
    (the bots' order in the first repeat), the repeats, and stopping the bots."""

    ours: Figures
    echo: Figures
    tuned: Figures
    repeat: int
    stopping: Stopping

    @property
    def everyone(self) -> tuple[Figures, Figures, Figures]:
        return self.ours, self.echo, self.tuned


async def bench(*, readers: int, rate: float, seconds: float, repeat: int) -> Run:
    """regionews, the bare echo bot and the echo bot on regionews's runtime, each on its own
    stand, run together, their bursts interleaved; SIGTERM or SIGINT cancels it, stopping
    the bots."""
    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    if this is not None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, this.cancel)
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-bot-")))
        stands = [
            await stack.enter_async_context(
                TimedStand(token=stand_token(number), limits=RateLimits.off())
            )
            for number in range(BOTS)
        ]
        cpu_before = children_cpu_seconds()
        lanes = await start_lanes(
            stack, await entries(stands, folder), readers=readers, repeat=repeat
        )
        steps = len(SCENARIO) + math.ceil(open_loop_updates(rate, seconds) / readers)
        for lane in lanes:
            await warm_up(lane, steps)
        await interleaved_bursts(lanes, repeat)
        pendings = [await open_loop(lane, rate=rate, seconds=seconds) for lane in lanes]
        totals = [lane.child.cpu_seconds() for lane in lanes]
        wall, bench_cpu = time.perf_counter(), time.process_time()
        codes = await stop_all([lane.child for lane in lanes])
        stopping = Stopping(
            wall=time.perf_counter() - wall,
            bench_cpu=time.process_time() - bench_cpu,
            bots_cpu=children_cpu_seconds() - cpu_before,
        )
        ours, echo, tuned = (
            lane_figures(lane, lane_pendings, total_cpu=total, exit_code=code)
            for lane, lane_pendings, total, code in zip(
                lanes, pendings, totals, codes, strict=True
            )
        )
    return Run(ours, echo, tuned, repeat, stopping)


def _ratio(ours: Figures, other: Figures) -> float:
    return ours.throughput / other.throughput if other.throughput else 0.0


def show_phase(phase: Phase) -> str:
    if phase.shared:
        return f"{phase.name} {phase.bot_cpu:.2f} s (shared phase of {phase.wall:.1f} s)"
    return f"{phase.name} {phase.bot_cpu:.2f}/{phase.bench_cpu:.2f} s in {phase.wall:.1f} s"


def report(run: Run, *, readers: int, rate: float, seconds: float) -> bool:
    """Print the figures; True if regionews meets both targets. The throughput target is
    against the bare echo bot; the echo bot on regionews's runtime is shown beside it,
    without a target."""
    ours, echo, tuned = run.everyone
    ratio = _ratio(ours, echo)
    throughput_ok = ratio >= THROUGHPUT_RATIO_TARGET
    p99_ok = ours.latency_ms(99) < P99_TARGET_SECONDS * 1000 and not ours.surplus
    print(
        f"readers {readers}, bursts of /start, «{REGION_BUTTON}», /latest"
        f" ({ours.updates} updates a bot); open loop {rate:g} updates/s for {seconds:g} s;"
        f" each bot its own process and stand; {os.cpu_count()} CPUs, load average"
        f" {os.getloadavg()[0]:.2f}"
    )
    print(
        f"bursts interleaved: each step's burst for every bot in turn, never two at once,"
        f" the order rotated each repeat (first {', '.join(f.name for f in run.everyone)});"
        f" median of {run.repeat} a step"
    )
    print(
        f"throughput: regionews {ours.throughput:.0f} updates/s, echo {echo.throughput:.0f}"
        f" updates/s, ratio {ratio:.2f} (target >= {THROUGHPUT_RATIO_TARGET})"
    )
    print(
        f"  beside it: {tuned.name} {tuned.throughput:.0f} updates/s, ratio"
        f" {_ratio(ours, tuned):.2f} (handler work only; no target)"
    )
    for figures in run.everyone:
        steps = ", ".join(
            f"{label} {batch.seconds * 1000:.0f} ms"
            for label, batch in zip(STEP_LABELS, figures.batches, strict=True)
        )
        print(f"bursts of {readers}, {figures.name}: {steps}")
    for figures in run.everyone:
        print(
            f"latency at {rate:g} updates/s, {figures.name}: p50 {figures.latency_ms(50):.1f} ms,"
            f" p99 {figures.latency_ms(99):.1f} ms, max {figures.latency_ms(100):.1f} ms"
            f" ({len(figures.latencies)} updates, {figures.overlapped} queued before their"
            f" chat's previous one was handled, {figures.surplus} surplus calls,"
            f" {figures.failures.total()} failed API calls)"
        )
        for failure, count in figures.failures.most_common(3):
            print(f"  {figures.name}: {count} × {failure}")
    for figures in run.everyone:
        calls = " | ".join(show_calls(calls) for calls in figures.calls_per_update)
        print(f"calls a reader's 1st, 2nd, … update takes, {figures.name}: {calls}")
    for figures in run.everyone:
        phases = ", ".join(show_phase(phase) for phase in figures.phases)
        print(f"cpu, {figures.name} process/bench process: {phases}")
        print(
            f"  {figures.name}: {figures.total_cpu:.2f} CPU s in all (its process tree before"
            f" SIGTERM), {figures.burst_cpu_ms:.2f} CPU ms a burst update, exit code"
            f" {figures.exit_code}, {len(figures.stderr_lines)} lines on stderr"
        )
        for line in figures.stderr_lines[:5]:
            print(f"  {figures.name} stderr: {line}")
    shared = ", ".join(
        f"{phase.name} {phase.bench_cpu:.2f} s in {phase.wall:.1f} s"
        for phase in ours.phases
        if phase.shared
    )
    stopping = run.stopping
    print(
        f"cpu, bench process in the shared phases: {shared}, stop {stopping.bench_cpu:.2f} s"
        f" in {stopping.wall:.1f} s; the bots {stopping.bots_cpu:.2f} CPU s in all"
        " (getrusage, stopping included)"
    )
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
        default=5,
        help="bursts per step and bot, each with new readers; the median counts (default 5)",
    )
    parser.add_argument(
        "--rate", type=float, default=100.0, help="open-loop updates/s (default 100)"
    )
    args = parser.parse_args(argv)
    if args.readers < 1 or args.repeat < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--readers, --repeat, --rate and --seconds must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        run = asyncio.run(
            bench(readers=args.readers, rate=args.rate, seconds=args.seconds, repeat=args.repeat)
        )
    except asyncio.CancelledError:
        print("interrupted: the bots were stopped", file=sys.stderr)
        return 130
    met = report(run, readers=args.readers, rate=args.rate, seconds=args.seconds)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
