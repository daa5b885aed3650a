"""Polite polling as pure arithmetic over datetimes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.schedule import (
    FIRST_FETCH_SPREAD,
    MAX_BACKOFF,
    MAX_SERVER_DELAY,
    backoff_delay,
    first_fetch_offset,
    next_fetch_after_failure,
    next_fetch_after_success,
    should_disable,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_success_waits_the_interval() -> None:
    assert next_fetch_after_success(NOW, interval_seconds=600) == NOW + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("fresh_until", "ttl", "expected"),
    [
        (NOW + timedelta(hours=1), None, NOW + timedelta(hours=1)),
        (NOW + timedelta(minutes=1), None, NOW + timedelta(minutes=10)),
        (None, 3600, NOW + timedelta(hours=1)),
        (NOW + timedelta(hours=2), 3600, NOW + timedelta(hours=2)),
        (NOW + timedelta(days=30), None, NOW + MAX_SERVER_DELAY),
    ],
)
def test_success_respects_the_server_but_not_forever(
    fresh_until: datetime | None, ttl: int | None, expected: datetime
) -> None:
    assert (
        next_fetch_after_success(
            NOW, interval_seconds=600, fresh_until=fresh_until, ttl_seconds=ttl
        )
        == expected
    )


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (1, timedelta(minutes=10)),
        (2, timedelta(minutes=20)),
        (3, timedelta(minutes=40)),
        (60, MAX_BACKOFF),
    ],
)
def test_backoff_doubles_and_is_capped(errors: int, expected: timedelta) -> None:
    assert backoff_delay(600, errors) == expected


def test_retry_after_longer_than_the_backoff_wins() -> None:
    assert next_fetch_after_failure(
        NOW, interval_seconds=600, consecutive_errors=1, retry_after_seconds=7200
    ) == NOW + timedelta(hours=2)
    assert next_fetch_after_failure(
        NOW, interval_seconds=600, consecutive_errors=1, retry_after_seconds=5
    ) == NOW + timedelta(minutes=10)


def test_first_fetches_are_spread_over_seconds_and_stable() -> None:
    # Never-fetched sources are due within seconds of start-up (not up to an interval
    # later), spread over every second of the window, not bunched.
    offsets = [first_fetch_offset(f"source-{n}", 900) for n in range(200)]
    assert all(timedelta(0) <= offset < FIRST_FETCH_SPREAD for offset in offsets)
    assert timedelta(seconds=10) >= FIRST_FETCH_SPREAD
    assert len(set(offsets)) == FIRST_FETCH_SPREAD.total_seconds()
    assert max(Counter(offsets).values()) < 40
    assert first_fetch_offset("a", 900) == first_fetch_offset("a", 900)
    # A source polled more often than the window is spread over its own interval.
    assert {first_fetch_offset(f"source-{n}", 3) for n in range(200)} == {
        timedelta(seconds=s) for s in range(3)
    }


def test_disable_after_the_limit() -> None:
    assert not should_disable(9, 10)
    assert should_disable(10, 10)
