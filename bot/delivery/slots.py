"""Channel posting times: batched slots ("09:00,13:00,18:00" in the channel's zone) and the
minimum gap between posts. Pure arithmetic, no clock read here.

In instant mode a post goes out as soon as the gap since the channel's last post allows. In
batched mode what arrived since the last slot waits for the next one; a slot that comes
sooner than the gap after the last post is skipped for the one after. The posts of one
batch go out one after another at the sender's channel pace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from bot.domain.wallclock import at_local, aware, format_hhmm, parse_hhmm, zone_of

MAX_SLOTS = 24


def parse_slots(text: str) -> tuple[str, ...]:
    """``"9:00, 13:00,18:00"`` → ``("09:00", "13:00", "18:00")``: sorted, without repeats.

    ``ValueError`` in plain words for anything else (an empty list, a bad time, too many).
    """
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    if not parts:
        raise ValueError("no posting times; write them like 09:00,13:00,18:00")
    times = sorted({parse_hhmm(part) for part in parts})
    if len(times) > MAX_SLOTS:
        raise ValueError(f"at most {MAX_SLOTS} posting times a day")
    return tuple(format_hhmm(moment) for moment in times)


def format_slots(slots: Iterable[str]) -> str:
    return ",".join(slots)


def next_slot(
    now: datetime,
    zone: str | None,
    slots: Sequence[str],
    min_gap: timedelta,
    last_post_at: datetime | None,
) -> datetime:
    """When the channel's next post may go out (UTC, never before ``now``).

    ``slots`` empty: instant mode, ``now`` or the end of the gap after ``last_post_at``.
    Otherwise the first slot at or after that moment, in ``zone`` (Moscow when missing).
    """
    earliest = aware(now)
    if last_post_at is not None:
        earliest = max(earliest, aware(last_post_at) + min_gap)
    if not slots:
        return earliest
    tz = zone_of(zone)
    times: list[time] = sorted({parse_hhmm(slot) for slot in slots})
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    for offset in range(3):  # a slot is at most a day away; one more for a zone's jump
        for clock_time in times:
            moment = at_local(day + timedelta(days=offset), clock_time, tz)
            if moment >= earliest:
                return moment
    raise AssertionError("unreachable: every day has its slots")  # pragma: no cover
