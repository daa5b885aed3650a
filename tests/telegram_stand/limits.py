"""Telegram's flood limits, as arithmetic over an injected monotonic clock.

Defaults follow Telegram's published limits: 30 messages a second over all chats, about one a
second in a private chat (a short burst tolerated), 20 a minute in a group, supergroup or
channel. A refused send answers ``429 Too Many Requests: retry after N``.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MonotonicClock = Callable[[], float]
"""A callable returning monotonic seconds, like ``time.monotonic``."""


class ManualClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self._now += seconds


@dataclass
class ClockSleep:
    """An async sleep for the bot under test: it moves a :class:`ManualClock` instead of
    taking real time (and lets other tasks run), and records each wait it was asked for."""

    clock: ManualClock
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True)
class RateLimits:
    """Per-stand flood limits; ``RateLimits.off()`` disables them."""

    enabled: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


class _Window:
    """At most ``limit`` events in any ``span`` seconds."""

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self.span = span
        self.times: deque[float] = deque()

    def wait(self, now: float, count: int) -> float:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        count = min(count, self.limit)
        excess = len(self.times) + count - self.limit
        if excess <= 0:
            return 0.0
        return self.times[excess - 1] + self.span - now

    def take(self, now: float, count: int) -> None:
        self.times.extend([now] * count)


class _Bucket:
    """A token bucket that lets a send through while at least one token is left."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, count: int) -> None:
        self.tokens -= count


class RateLimiter:
    """Decides whether a send may go now; ``acquire`` records it when it may."""

    def __init__(self, limits: RateLimits, clock: MonotonicClock) -> None:
        self.limits = limits
        self.clock = clock
        self._global = _Window(limits.global_per_second, 1.0)
        self._groups: dict[int, _Window] = {}
        self._private: dict[int, _Bucket] = {}

    def acquire(self, chat_id: int, *, private: bool, count: int = 1) -> int | None:
        """Record ``count`` messages to a chat, or return the seconds to wait (none recorded)."""
        if not self.limits.enabled:
            return None
        now = self.clock()
        waits = [self._global.wait(now, count)]
        if private:
            bucket = self._private.setdefault(
                chat_id, _Bucket(self.limits.private_per_second, self.limits.private_burst, now)
            )
            waits.append(bucket.wait(now))
        else:
            window = self._groups.setdefault(chat_id, _Window(self.limits.group_per_minute, 60.0))
            waits.append(window.wait(now, count))
        longest = max(waits)
        if longest > 0:
            return max(1, math.ceil(longest))
        self._global.take(now, count)
        if private:
            self._private[chat_id].take(count)
        else:
            self._groups[chat_id].take(now, count)
        return None
