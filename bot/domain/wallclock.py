"""Wall-clock times of day ("HH:MM") in a time zone, turned into UTC moments.

Shared by the digest schedule, quiet hours and channel slots. A local time that does not
exist (the hour skipped when clocks go forward) maps to the moment clocks read it had they
not jumped, i.e. that much after the jump (02:30 on a spring-forward night in Berlin is
03:30 CEST); a local time that happens twice (clocks going back) is its first occurrence.
Pure: no clock is read here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Moscow"
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time:
    """``"9:05"`` or ``"09:05"`` as a time; ``ValueError`` in plain words otherwise."""
    match = _HHMM.match(text.strip())
    if match is None:
        raise ValueError(f"«{text}» is not a time of day; write it like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def format_hhmm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


@lru_cache(maxsize=64)
def zone_of(name: str | None) -> tzinfo:
    """The IANA zone ``name``; Moscow time when it is missing or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def aware(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def at_local(day: date, clock_time: time, zone: tzinfo, *, fold: int = 0) -> datetime:
    """The UTC moment when clocks in ``zone`` read ``clock_time`` on ``day``."""
    return datetime.combine(day, clock_time, tzinfo=zone).replace(fold=fold).astimezone(UTC)
