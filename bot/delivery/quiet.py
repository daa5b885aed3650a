"""Quiet hours: a daily window of wall-clock time in the subscription's zone during which
instant pushes wait. Pure arithmetic, no clock read here.

A window may cross midnight (22:00–07:00). ``start == end`` or a missing end means no quiet
hours. A push due inside the window is held until its end; the window's start is inside it,
its end is not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.wallclock import at_local, aware, parse_hhmm, zone_of


def quiet_until(
    now: datetime, zone: str | None, quiet_start: str | None, quiet_end: str | None
) -> datetime | None:
    """The UTC moment the quiet hours holding ``now`` end, or ``None`` if ``now`` is not quiet.

    ``zone`` is an IANA name (Moscow when missing or unknown); ``quiet_start`` and
    ``quiet_end`` are ``"HH:MM"``.
    """
    if not quiet_start or not quiet_end:
        return None
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return None
    tz = zone_of(zone)
    now = aware(now)
    local = now.astimezone(tz)
    clock_time = local.time().replace(tzinfo=None)
    if start < end:  # the same day: 13:00–15:00
        if not start <= clock_time < end:
            return None
        end_day = local.date()
    elif clock_time >= start:  # across midnight, before it: 23:30 in 22:00–07:00
        end_day = local.date() + timedelta(days=1)
    elif clock_time < end:  # across midnight, after it: 03:00 in 22:00–07:00
        end_day = local.date()
    else:
        return None
    for fold in (0, 1):  # the end read twice when clocks go back: the one still ahead
        until = at_local(end_day, end, tz, fold=fold)
        if until > now:
            return until
    return None
