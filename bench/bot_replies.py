"""Which update each API call of a bot answers, seen from the Telegram test stand only.

The bots under test run in their own processes, so the bench learns what they do from the
stand's call log alone. ``TimedStand`` swaps that log for a list that tells a
:class:`ReplyTracker` the moment each call is recorded (the stand records a call once it
has run it, right before the HTTP answer goes back); the stand's own files stay untouched.

Attribution. A call *belongs to a chat's updates* when it names the chat (``chat_id``:
``sendMessage``, ``editMessageText``, ``deleteMessage``, …) or a callback query the bench
pressed (``callback_query_id``: ``answerCallbackQuery``). A call naming a query goes to the
press that made the query. A call naming a chat goes to the *oldest* update queued in that
chat that is still owed a call of that method; one no update is owed is counted as surplus.
So when a bot answers a chat's updates out of order (a slow button press overtaken by the
next ``/latest``), each still gets its own calls, unless two updates of one chat owe the
same method: then the earlier-queued one gets the earlier call. The bench's own messages
(the echo bot's buttons, sent with the stand's token) are recognised by their text and
skipped.

Handled. Every update is queued with the calls the bot makes to answer it (``expected``:
how many of each method; see ``bench.bench_bot`` for how that is learned). The update is
handled when all of them have been recorded: ``done_at`` is when the last one was.
``first_reply_at`` is when the first reply (a method of ``ANSWERING_METHODS``) was. An
update queued with ``expected=None`` collects every call until it is :meth:`closed
<ReplyTracker.close>`; that is how the calls are learned.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.telegram_stand import ApiCall, TelegramStand

ANSWERING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
    }
)


Calls = Counter[str]
"""API calls by method: ``Counter({"sendMessage": 2})``."""


@dataclass(slots=True, eq=False)
class Pending:
    """One queued update: the calls it takes, the calls seen, and when (``perf_counter``)."""

    chat_id: int
    queued_at: float
    expected: Calls | None
    overlapped: bool = False
    """Queued while an earlier update of the same chat was not handled yet."""
    what: str = ""
    got: Calls = field(default_factory=Counter)
    first_reply_at: float | None = None
    done_at: float | None = None

    @property
    def calls(self) -> int:
        return self.got.total()

    def owes(self, method: str) -> bool:
        return self.expected is None or self.got[method] < self.expected[method]

    @property
    def latency(self) -> float | None:
        """Seconds from queuing to the first reply; None while unanswered."""
        if self.first_reply_at is None:
            return None
        return self.first_reply_at - self.queued_at

    @property
    def handled(self) -> bool:
        return self.done_at is not None


@dataclass(slots=True)
class ReplyTracker:
    """Matches the bot's calls to the updates the bench queued."""

    clock: Callable[[], float] = time.perf_counter
    bench_texts: set[str] = field(default_factory=set)
    failed_calls: list[ApiCall] = field(default_factory=list)
    surplus_calls: list[ApiCall] = field(default_factory=list)
    last_call_at: float = 0.0
    _open_in_chat: dict[int, deque[Pending]] = field(default_factory=dict)
    _by_query: dict[str, Pending] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, chat_id: int, expected: Calls | None) -> Pending:
        """Call right before queuing an update from ``chat_id`` that takes ``expected`` calls."""
        if expected is not None and expected.total() < 1:
            raise ValueError("an update takes at least one call")
        queue = self._open_in_chat.setdefault(chat_id, deque())
        pending = Pending(chat_id, self.clock(), expected, overlapped=bool(queue))
        queue.append(pending)
        return pending

    def expect_query(self, pending: Pending, query_id: str) -> None:
        """The update of ``pending`` was a button press with this callback query id."""
        self._by_query[query_id] = pending

    def close(self, pendings: Iterable[Pending]) -> None:
        """Stop attributing calls to these updates (those queued with ``expected=None``)."""
        for pending in pendings:
            queue = self._open_in_chat.get(pending.chat_id)
            if queue is not None and pending in queue:
                queue.remove(pending)
        closed = {id(pending) for pending in pendings}
        self._by_query = {
            query: pending
            for query, pending in self._by_query.items()
            if id(pending) not in closed
        }

    def record(self, call: ApiCall, at: float) -> None:
        if not call.ok:
            self.failed_calls.append(call)
        params = call.params
        query_id = params.get("callback_query_id")
        chat_id = _chat_id(params.get("chat_id"))
        if query_id is None and chat_id is None:
            return  # getUpdates, getMe, setMyCommands, …: no update's answer
        if call.method == "sendMessage" and params.get("text") in self.bench_texts:
            return
        self.last_call_at = at
        pending = (
            self._by_query.get(str(query_id))
            if query_id is not None
            else self._oldest_owing(chat_id, call.method)
        )
        if pending is None or pending.handled or not pending.owes(call.method):
            self.surplus_calls.append(call)
            return
        pending.got[call.method] += 1
        if pending.first_reply_at is None and call.method in ANSWERING_METHODS:
            pending.first_reply_at = at
        if pending.expected is not None and pending.got == pending.expected:
            pending.done_at = at
            queue = self._open_in_chat.get(pending.chat_id)
            if queue is not None and pending in queue:
                queue.remove(pending)
        self._changed.set()

    def _oldest_owing(self, chat_id: int | None, method: str) -> Pending | None:
        queue = self._open_in_chat.get(chat_id, ()) if chat_id is not None else ()
        return next((pending for pending in queue if pending.owes(method)), None)

    async def wait_until(self, condition: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``condition()`` holds (checked after every attributed call); False
        after ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return condition()
        return True

    async def wait_handled(self, pendings: Sequence[Pending], seconds: float) -> bool:
        return await self.wait_until(lambda: all(p.handled for p in pendings), seconds)

    async def wait_quiet(self, quiet: float, seconds: float, idle: Callable[[], bool]) -> bool:
        """Wait until no call for any chat has come for ``quiet`` seconds while ``idle()``
        holds (e.g. no update left to fetch); False after ``seconds``."""
        deadline = self.clock() + seconds
        while True:
            now = self.clock()
            wait = max(self.last_call_at + quiet - now, 0.0)
            if wait == 0 and idle():
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(min(max(wait, quiet / 10), deadline - now))


def _chat_id(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # an @username: not a chat the bench queued updates in


class _TimedCalls(list[ApiCall]):
    """The stand's call log, telling the tracker when each call is recorded."""

    def __init__(self, existing: Iterable[ApiCall], tracker: ReplyTracker) -> None:
        super().__init__(existing)
        self._tracker = tracker

    def append(self, call: ApiCall) -> None:
        super().append(call)
        self._tracker.record(call, self._tracker.clock())


class TimedStand(TelegramStand):
    """A :class:`TelegramStand` whose call log reports to ``self.replies`` as calls happen.

    It reaches into the stand's state once (``_core.state.calls``); everything else is the
    stand's public surface.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.replies = ReplyTracker()
        state = self._core.state
        state.calls = _TimedCalls(state.calls, self.replies)
