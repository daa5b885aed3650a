"""Durations as people write them, and the one rule for polling intervals (pure)."""

from __future__ import annotations

import pytest

from bot.domain.durations import (
    MAX_DURATION_SECONDS,
    check_interval,
    format_duration,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172_800), ("30d", 2_592_000), ("45", 45)],
)
def test_durations_are_read(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("30d1s", "«30d1s» is longer than 30d, the longest allowed"),
        ("3000000d", "«3000000d» is longer than 30d"),
        ("99999999999999999d", "is longer than 30d"),
        ("9" * 400, "«" + "9" * 40 + "…» is longer than 30d"),  # float() gives inf
        ("9" * 400 + "d", "is longer than 30d"),
        ("soon", "«soon» is not a duration"),
    ],
)
def test_durations_past_the_longest_are_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert words in str(caught.value)


def test_a_caller_may_allow_longer_durations() -> None:
    assert parse_duration("90d", longest=90 * 86_400) == 90 * 86_400
    assert MAX_DURATION_SECONDS == 30 * 86_400


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(59, "at least 1m"), (0, "at least 1m"), (30 * 86_400 + 1, "at most 30d")],
)
def test_intervals_outside_1m_to_30d_are_refused(seconds: int, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_interval(seconds)


@pytest.mark.parametrize("seconds", [60, 900, 30 * 86_400])
def test_intervals_inside_the_bounds_pass(seconds: int) -> None:
    assert check_interval(seconds) == seconds


@pytest.mark.parametrize(("seconds", "text"), [(5400, "1h30m"), (0, "0s"), (2_592_000, "30d")])
def test_durations_are_written_back(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
