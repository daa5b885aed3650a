"""When digests are due: daily or weekly at the subscription's HH:MM (and weekday) in its
time zone. Pure arithmetic over datetimes, no clock read here (the digest job passes
``now``), in the way arq keeps ``next_cron`` pure.

A digest is *for* one scheduled moment, its period's ``end``; the period runs from the
scheduled moment before it. What the job must remember is the ``end`` of the last digest it
made (or the subscription's ``since`` before the first): :func:`digest_due` then gives

* the latest scheduled moment not after ``now`` if no digest was made for it yet, so a bot
  that was down at the minute sends late rather than skips, and only once however long it
  was down (one digest for everything since the last one, not one per missed day);
* ``None`` when that moment already has its digest, so a restart never sends two.

The period's ``start`` is fixed by the schedule alone (dedupe keys use it); ``since`` is
where the new articles begin: the last digest's ``end``, so nothing falls between two.
Scheduled moments follow :mod:`bot.domain.wallclock` across clock changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.models import DeliveryMode, Subscription
from bot.domain.wallclock import at_local, aware, parse_hhmm, zone_of

DAILY_CATCH_UP = timedelta(days=7)
WEEKLY_CATCH_UP = timedelta(weeks=4)


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """Daily, or weekly on ``weekday`` (Monday 0), at ``at`` ("HH:MM") in ``zone``."""

    weekly: bool
    at: str
    weekday: int = 0
    zone: str | None = None

    def __post_init__(self) -> None:
        parse_hhmm(self.at)
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0 (Monday) … 6 (Sunday)")

    @classmethod
    def of(cls, subscription: Subscription) -> DigestSchedule | None:
        """The subscription's digest schedule; ``None`` in instant mode."""
        if subscription.mode is DeliveryMode.INSTANT:
            return None
        return cls(
            weekly=subscription.mode is DeliveryMode.WEEKLY,
            at=subscription.digest_time,
            weekday=subscription.digest_weekday,
            zone=subscription.timezone,
        )


@dataclass(frozen=True, slots=True)
class Period:
    """A digest's span, UTC: ``[start, end)`` by the schedule, new articles from ``since``."""

    start: datetime
    end: datetime
    since: datetime
    weekly: bool
    zone: str | None = None

    def local_days(self) -> tuple[date, date]:
        """The first and last day the period covers, on the zone's calendar (for headers:
        «за 4 декабря», «за 28 ноября — 4 декабря»)."""
        tz = zone_of(self.zone)
        last = (self.end - timedelta(microseconds=1)).astimezone(tz).date()
        first = self.start.astimezone(tz).date() if self.weekly else last
        return first, last


def _is_day(schedule: DigestSchedule, day: date) -> bool:
    return not schedule.weekly or day.weekday() == schedule.weekday


def _moments(schedule: DigestSchedule, tz: tzinfo, around: date, days: range) -> list[datetime]:
    clock_time: time = parse_hhmm(schedule.at)
    return [
        at_local(day, clock_time, tz)
        for day in (around + timedelta(days=offset) for offset in days)
        if _is_day(schedule, day)
    ]


def last_scheduled(schedule: DigestSchedule, now: datetime) -> datetime:
    """The latest scheduled moment at or before ``now`` (UTC)."""
    now = aware(now)
    tz = zone_of(schedule.zone)
    moments = _moments(schedule, tz, now.astimezone(tz).date(), range(-8, 2))
    return max(moment for moment in moments if moment <= now)


def previous_scheduled(schedule: DigestSchedule, moment: datetime) -> datetime:
    """The scheduled moment before ``moment`` (itself a scheduled moment)."""
    return last_scheduled(schedule, aware(moment) - timedelta(microseconds=1))


def next_digest_at(schedule: DigestSchedule, now: datetime) -> datetime:
    """The first scheduled moment after ``now`` (UTC): when the next digest is due."""
    now = aware(now)
    tz = zone_of(schedule.zone)
    moments = _moments(schedule, tz, now.astimezone(tz).date(), range(-1, 9))
    return min(moment for moment in moments if moment > now)


def digest_period(schedule: DigestSchedule, now: datetime) -> tuple[datetime, datetime]:
    """The schedule's latest completed period at ``now``: (previous moment, latest moment)."""
    end = last_scheduled(schedule, now)
    return previous_scheduled(schedule, end), end


def digest_due(
    now: datetime,
    schedule: DigestSchedule | None,
    last_end: datetime | None,
    *,
    catch_up: timedelta | None = None,
) -> Period | None:
    """The period whose digest should be made now, or ``None``.

    ``last_end``: the ``end`` of the last digest made for this subscription (or its
    ``since`` before the first one, so a new subscriber gets no backlog). ``None`` when
    nothing is known: the latest period is due, from its start. A digest reaches back at
    most ``catch_up`` before its end (default: a week for daily digests, four weeks for
    weekly ones), however long ago the last one was.
    """
    if schedule is None:
        return None
    start, end = digest_period(schedule, now)
    if last_end is not None and aware(last_end) >= end:
        return None
    if catch_up is None:
        catch_up = WEEKLY_CATCH_UP if schedule.weekly else DAILY_CATCH_UP
    since = start if last_end is None else max(aware(last_end), end - catch_up)
    return Period(start=start, end=end, since=since, weekly=schedule.weekly, zone=schedule.zone)
