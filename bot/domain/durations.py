"""Human-written durations: ``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``; and the rule for
polling intervals, which the sources file (``interval``) and ``DEFAULT_INTERVAL`` share."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_DURATION_SECONDS = 30 * 86_400
"""The longest duration :func:`parse_duration` accepts (30 days) unless told otherwise."""
MIN_INTERVAL_SECONDS = 60
"""The shortest polling interval (1 minute), to be polite to the site."""
MAX_INTERVAL_SECONDS = MAX_DURATION_SECONDS
"""The longest polling interval (30 days)."""


def parse_duration(text: str, *, longest: int = MAX_DURATION_SECONDS) -> int:
    """Seconds in ``text``; a bare number means seconds. Raises ``ValueError`` in plain words,
    also for more than ``longest`` seconds (30 days unless given)."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("an empty duration; write it like 90s, 10m, 1h30m or 1d")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return _at_most(float(cleaned), longest, text)
    position = 0
    total = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(cleaned) or total <= 0:
        raise ValueError(
            f"«{_shown(text)}» is not a duration; write it like 90s, 10m, 1h30m or 1d"
        )
    return _at_most(total, longest, text)


def check_interval(seconds: int) -> int:
    """``seconds`` if it is a polling interval we accept (1m to 30d), else ``ValueError``."""
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(
            f"an interval must be at least {format_duration(MIN_INTERVAL_SECONDS)},"
            " to be polite to the site"
        )
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"an interval must be at most {format_duration(MAX_INTERVAL_SECONDS)}")
    return seconds


def format_duration(seconds: float) -> str:
    """The inverse of :func:`parse_duration` for display: ``5400`` → ``"1h30m"``."""
    remaining = int(seconds)
    if remaining <= 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNIT_SECONDS.items():
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _at_most(seconds: float, longest: int, text: str) -> int:
    # float() of a long digit string is inf, and int(inf) raises OverflowError: compare first.
    if not seconds <= longest:
        raise ValueError(
            f"«{_shown(text)}» is longer than {format_duration(longest)}, the longest allowed"
        )
    return int(seconds)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
