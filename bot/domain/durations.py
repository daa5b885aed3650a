"""Human-written durations: ``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """Seconds in ``text``; a bare number means seconds. Raises ``ValueError`` in plain words."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("an empty duration; write it like 90s, 10m, 1h30m or 1d")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return int(float(cleaned))
    position = 0
    total = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(cleaned) or total <= 0:
        raise ValueError(f"«{text}» is not a duration; write it like 90s, 10m, 1h30m or 1d")
    return int(total)


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
