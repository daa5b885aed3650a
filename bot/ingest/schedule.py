"""When to fetch a source next: pure arithmetic over an injected ``now``.

Polite polling: the source's interval, never sooner than the server asked (``Cache-Control``,
``Expires``, ``Retry-After``, a feed's ``<ttl>``), exponential back-off after failures, and
first fetches spread over a few seconds: a new install has news at once, and the fetcher's
global and per-host limits keep the burst polite.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

MAX_SERVER_DELAY = timedelta(hours=24)
"""A server may push its next fetch back, but not by more than this."""
MAX_BACKOFF = timedelta(hours=12)


FIRST_FETCH_SPREAD = timedelta(seconds=10)
"""Sources never fetched are due this soon after start-up (or after a change that restarts
them), each at its own stable moment, so a large sources file does not fire all at once."""


def first_fetch_offset(name: str, interval_seconds: int) -> timedelta:
    """A stable offset derived from the source's name, in ``[0, FIRST_FETCH_SPREAD)`` (or
    ``[0, interval)`` if that is shorter)."""
    spread = min(int(FIRST_FETCH_SPREAD.total_seconds()), interval_seconds)
    return timedelta(seconds=zlib.crc32(name.encode("utf-8")) % max(spread, 1))


def _server_floor(now: datetime, candidates: list[datetime]) -> datetime | None:
    if not candidates:
        return None
    return min(max(candidates), now + MAX_SERVER_DELAY)


def next_fetch_after_success(
    now: datetime,
    *,
    interval_seconds: int,
    fresh_until: datetime | None = None,
    ttl_seconds: int | None = None,
) -> datetime:
    """The interval from now, or later if the server said its content stays fresh longer."""
    planned = now + timedelta(seconds=interval_seconds)
    floors: list[datetime] = []
    if fresh_until is not None:
        floors.append(fresh_until)
    if ttl_seconds is not None and ttl_seconds > 0:
        floors.append(now + timedelta(seconds=ttl_seconds))
    floor = _server_floor(now, floors)
    return planned if floor is None else max(planned, floor)


def backoff_delay(interval_seconds: int, consecutive_errors: int) -> timedelta:
    """The wait after the n-th failure in a row: interval × 2^(n−1), capped."""
    exponent = max(consecutive_errors - 1, 0)
    if exponent > 20:
        return MAX_BACKOFF
    return min(timedelta(seconds=interval_seconds * 2**exponent), MAX_BACKOFF)


def next_fetch_after_failure(
    now: datetime,
    *,
    interval_seconds: int,
    consecutive_errors: int,
    retry_after_seconds: float | None = None,
) -> datetime:
    """Back off; a server's ``Retry-After`` is honoured when it asks for longer."""
    planned = now + backoff_delay(interval_seconds, consecutive_errors)
    if retry_after_seconds is not None and retry_after_seconds > 0:
        floor = _server_floor(now, [now + timedelta(seconds=retry_after_seconds)])
        if floor is not None:
            return max(planned, floor)
    return planned


def should_disable(consecutive_errors: int, max_consecutive_errors: int) -> bool:
    return consecutive_errors >= max_consecutive_errors
