"""Telegram's flood limits as arithmetic over an injected monotonic clock (no I/O, no sleeps).

Telegram refuses a send past its limits with ``429 retry after N``. Staying inside them is
cheaper than being refused, so every message the bot sends (a reply to a reader's command, a
push, a channel post, a digest) first asks one :class:`Pacer` when it may go:

* **globally**: at most ``global_per_second`` messages a second over all chats (30 by
  default; ``paid_per_second``, 1000 by default, for sends with ``allow_paid_broadcast``).
  Sends are spaced evenly, one every ``1 / rate`` seconds, rather than let through in bursts:
  Telegram counts a sliding one-second window, and an even stream keeps one request in flight
  at a time (which is also what bounds the messages doubled by a crash). A send that wakes
  a little late may catch up by ``late_slack`` seconds (5 ms), so timer jitter does not cost rate;
* **per chat**: a private chat gets one a second after a burst of ``private_burst``; a group,
  supergroup or channel at most ``group_per_minute`` in any minute;
* every limit is kept ``margin`` (a fraction) below Telegram's, so the jitter between the
  moment we decide and the moment Telegram counts does not tip a send over.

A 429 that comes anyway pauses the scope it concerns (:meth:`Pacer.note_retry_after`): the
chat, when its own recent sends can explain it, otherwise every chat (Telegram's answer does
not name the scope; a refusal for a chat that had nothing recent can only be the global one).

Priorities: :func:`send_order` is the order claimed deliveries are sent in; replies to a
reader's commands come before any delivery, since they reserve their slot (:meth:`reserve`)
while deliveries only take a slot that is free now (:meth:`global_wait`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MonotonicClock = Callable[[], float]
"""Seconds from an arbitrary start that never go back (``time.monotonic``)."""

PRIVATE_KIND = "private"
GROUP_WINDOW_SECONDS = 60.0
SLIDING_WINDOW_SECONDS = 1.0
_EPSILON = 1e-9  # float dust: a wait this short is none
_PRUNE_EVERY = 4096  # sends between sweeps of chats whose limits have run out


class Scope(StrEnum):
    """What a 429 paused: the one chat, or every send of the bot."""

    CHAT = "chat"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class PacingLimits:
    """Telegram's limits, and how far below them to stay."""

    global_per_second: float = 30.0
    paid_per_second: float = 1000.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    margin: float = 0.02
    late_slack: float = 0.005
    enabled: bool = True

    def __post_init__(self) -> None:
        if min(self.global_per_second, self.paid_per_second, self.private_per_second) <= 0:
            raise ValueError("rates must be positive")
        if self.private_burst < 1 or self.group_per_minute < 1:
            raise ValueError("a chat must be allowed at least one message")
        if not 0 <= self.margin < 1 or self.late_slack < 0:
            raise ValueError("margin must be in [0, 1) and late_slack not negative")

    @classmethod
    def off(cls) -> PacingLimits:
        """No pacing at all (a local Bot API server, or a benchmark of the pipeline)."""
        return cls(enabled=False)

    def interval(self, *, paid: bool) -> float:
        """Seconds between two evenly spaced sends over all chats."""
        rate = self.paid_per_second if paid else self.global_per_second
        return 1.0 / (rate * (1.0 - self.margin))


def is_private(chat_kind: str) -> bool:
    return chat_kind == PRIVATE_KIND


class _Spacing:
    """Evenly spaced slots: ``next_at`` is when the next send may go (a GCRA)."""

    __slots__ = ("interval", "next_at", "slack")

    def __init__(self, interval: float, slack: float) -> None:
        self.interval = interval
        self.slack = slack
        self.next_at = float("-inf")

    def wait(self, now: float) -> float:
        return max(0.0, self.next_at - now)

    def reserve(self, now: float) -> float:
        """Take the next slot; the seconds from ``now`` until it."""
        # A slot missed by up to ``slack`` is still taken; of one missed by more (within an
        # interval), ``slack`` is made up; after a longer gap the stream starts afresh. So any
        # n + 1 sends in a row span at least n intervals less the slack.
        overdue = now - self.next_at
        if overdue <= self.slack:
            slot = self.next_at
        elif overdue <= self.interval:
            slot = now - self.slack
        else:
            slot = now
        self.next_at = slot + self.interval
        return max(0.0, slot - now)

    def pause_until(self, moment: float) -> None:
        self.next_at = max(self.next_at, moment)


class _ChatPace:
    """One chat's recent sends: a token bucket (private) or a sliding window (groups)."""

    __slots__ = ("last_sent", "paused_until", "private", "sent", "tokens", "updated")

    def __init__(self, now: float, burst: int, *, private: bool) -> None:
        self.private = private
        self.tokens = float(burst)
        self.updated = now
        self.sent: deque[float] = deque()
        self.paused_until = float("-inf")
        self.last_sent = float("-inf")


class Pacer:
    """When each send may go. One per bot process, shared by replies and deliveries.

    The pacer only does arithmetic; waiting is the caller's (``bot.delivery.throttle``).
    State is per process: two bot processes on one token would each think they had the
    whole limit.
    """

    def __init__(self, limits: PacingLimits, clock: MonotonicClock) -> None:
        self.limits = limits
        self.clock = clock
        self._free = _Spacing(limits.interval(paid=False), limits.late_slack)
        # When the last sends actually went out: a send that left late must not let the one
        # a window later count it (Telegram's sliding second sees when it arrived).
        self._window_sends = max(1, round(limits.global_per_second))
        self._started: deque[float] = deque(maxlen=self._window_sends)
        self._window = SLIDING_WINDOW_SECONDS * (1.0 + limits.margin / 2)
        self._paid = _Spacing(limits.interval(paid=True), limits.late_slack)
        self._chats: dict[int, _ChatPace] = {}
        self._global_pause = float("-inf")
        self._private_rate = limits.private_per_second * (1.0 - limits.margin)
        self._group_window = GROUP_WINDOW_SECONDS * (1.0 + limits.margin)
        self._sends = 0

    # global ------------------------------------------------------------------------------

    def _spacing(self, paid: bool) -> _Spacing:
        return self._paid if paid else self._free

    def global_wait(self, *, paid: bool = False) -> float:
        """Seconds until a send may go as far as the global limit is concerned."""
        if not self.limits.enabled:
            return 0.0
        now = self.clock()
        return max(self._spacing(paid).wait(now), 0.0 if paid else self._window_wait(now))

    def _window_wait(self, now: float) -> float:
        if len(self._started) < self._window_sends:
            return 0.0
        return max(0.0, self._started[0] + self._window - now)

    def note_started(self, *, paid: bool = False) -> None:
        """A send is going out now (its request is being made): the sliding window counts
        it from this moment, whatever its slot was."""
        if self.limits.enabled and not paid:
            self._started.append(self.clock())

    def paused_for(self, chat_id: int) -> float:
        """Seconds a 429 still holds sends to the chat (its own pause, or the global one):
        a send booked before the 429 came waits this long again before it goes."""
        if not self.limits.enabled:
            return 0.0
        now = self.clock()
        pace = self._chats.get(chat_id)
        own = pace.paused_until if pace is not None else float("-inf")
        return max(0.0, own - now, self._global_pause - now)

    # chats -------------------------------------------------------------------------------

    def _chat(self, chat_id: int, chat_kind: str, now: float) -> _ChatPace:
        pace = self._chats.get(chat_id)
        if pace is None:
            pace = self._chats[chat_id] = _ChatPace(
                now, self.limits.private_burst, private=is_private(chat_kind)
            )
        return pace

    def _tokens(self, pace: _ChatPace, now: float) -> float:
        refilled = pace.tokens + (now - pace.updated) * self._private_rate
        return min(float(self.limits.private_burst), refilled)

    def _own_wait(self, pace: _ChatPace, now: float) -> float:
        if pace.private:
            tokens = self._tokens(pace, now)
            return 0.0 if tokens >= 1 - _EPSILON else (1 - tokens) / self._private_rate
        window = self._group_window
        while pace.sent and pace.sent[0] <= now - window:
            pace.sent.popleft()
        excess = len(pace.sent) + 1 - self.limits.group_per_minute
        wait = 0.0 if excess <= 0 else pace.sent[excess - 1] + window - now
        return wait if wait > _EPSILON else 0.0

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until the chat may get another message (0: now)."""
        if not self.limits.enabled:
            return 0.0
        pace = self._chats.get(chat_id)
        if pace is None:
            return 0.0
        now = self.clock()
        return max(pace.paused_until - now, self._own_wait(pace, now), 0.0)

    def busy_chats(self) -> set[int]:
        """Chats that may not get a message right now (paused, or at their own limit)."""
        if not self.limits.enabled:
            return set()
        now = self.clock()
        horizon = now - self._group_window
        return {
            chat_id
            for chat_id, pace in self._chats.items()
            if pace.paused_until > now or (pace.last_sent > horizon and self._own_wait(pace, now))
        }

    # sending -----------------------------------------------------------------------------

    def reserve(self, chat_id: int, chat_kind: str, *, paid: bool = False) -> float:
        """Book a send to the chat; the seconds to wait before making it (0: now).

        The chat's own limit is checked first, then the global slot after that moment is
        taken, so nothing else can take it meanwhile. A reply to a reader reserves at once;
        the sender reserves only when :meth:`global_wait` and :meth:`chat_wait` are both 0,
        so replies go first.
        """
        if not self.limits.enabled:
            return 0.0
        now = self.clock()
        pace = self._chat(chat_id, chat_kind, now)
        chat_delay = max(pace.paused_until - now, self._own_wait(pace, now), 0.0)
        window = 0.0 if paid else self._window_wait(now + chat_delay)
        delay = chat_delay + window + self._spacing(paid).reserve(now + chat_delay + window)
        at = now + delay
        if pace.private:
            pace.tokens = self._tokens(pace, now) - 1
            pace.updated = now
        else:
            pace.sent.append(at)
        pace.last_sent = max(pace.last_sent, at)
        self._sends += 1
        if self._sends % _PRUNE_EVERY == 0:
            self._prune(now)
        return delay

    def _prune(self, now: float) -> None:
        """Forget chats with nothing recent: their state is the same as a new chat's."""
        horizon = self._group_window + self.limits.private_burst / self._private_rate
        stale = [
            chat_id
            for chat_id, pace in self._chats.items()
            if pace.last_sent < now - horizon and pace.paused_until < now
        ]
        for chat_id in stale:
            del self._chats[chat_id]

    @property
    def chats_tracked(self) -> int:
        return len(self._chats)

    # refusals ----------------------------------------------------------------------------

    def note_retry_after(self, chat_id: int, chat_kind: str, retry_after: float) -> Scope:
        """Telegram refused a send to the chat with 429: pause what it concerns.

        The chat, when it had another message shortly before the refused one (its own limit
        explains the refusal); otherwise the global limit, for every chat. Returns the scope.
        """
        now = self.clock()
        until = now + retry_after
        pace = self._chat(chat_id, chat_kind, now)
        pace.paused_until = max(pace.paused_until, until)
        if pace.private:
            # The refused send took one token; a full bucket before it means nothing recent.
            had_recent = self._tokens(pace, now) + 1 < self.limits.private_burst - 1e-9
        else:
            horizon = now - self._group_window
            had_recent = sum(1 for moment in pace.sent if moment > horizon) > 1
        if had_recent:
            return Scope.CHAT
        self._global_pause = max(self._global_pause, until)
        self._free.pause_until(until)
        self._paid.pause_until(until)
        return Scope.GLOBAL


def send_order(priority: int, due_at: datetime, delivery_id: int) -> tuple[int, datetime, int]:
    """The order deliveries go out in: urgent (0) before instant (1) before channel posts
    (2) before digests (3); within a priority, the longest due first, then the oldest row."""
    return (priority, due_at, delivery_id)
