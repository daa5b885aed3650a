"""The pure time arithmetic of delivery: digest periods, quiet hours and channel slots, over
many datetimes in Irkutsk, Moscow and Kaliningrad time and in Berlin (which changes its
clocks), without a clock or any I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.periods import (
    DigestSchedule,
    Period,
    digest_due,
    digest_period,
    next_digest_at,
)
from bot.delivery.quiet import quiet_until
from bot.delivery.slots import next_slot, parse_slots
from bot.domain.wallclock import parse_hhmm

ZONES = ("Asia/Irkutsk", "Europe/Moscow", "Europe/Kaliningrad", "Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Digest periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "end"),
    [
        # 09:00 in Irkutsk is 01:00 UTC
        ("Asia/Irkutsk", utc(2026, 12, 4, 0, 59), utc(2026, 12, 3, 1, 0)),
        ("Asia/Irkutsk", utc(2026, 12, 4, 1, 0), utc(2026, 12, 4, 1, 0)),
        ("Asia/Irkutsk", utc(2026, 12, 4, 23, 0), utc(2026, 12, 4, 1, 0)),
        # in Moscow 06:00 UTC, in Kaliningrad 07:00 UTC
        ("Europe/Moscow", utc(2026, 12, 4, 6, 0), utc(2026, 12, 4, 6, 0)),
        ("Europe/Moscow", utc(2026, 12, 4, 5, 59), utc(2026, 12, 3, 6, 0)),
        ("Europe/Kaliningrad", utc(2026, 12, 4, 7, 1), utc(2026, 12, 4, 7, 0)),
        # Berlin: 08:00 UTC in winter, 07:00 UTC in summer, across both changes
        ("Europe/Berlin", utc(2026, 3, 28, 8, 0), utc(2026, 3, 28, 8, 0)),
        ("Europe/Berlin", utc(2026, 3, 29, 7, 30), utc(2026, 3, 29, 7, 0)),
        ("Europe/Berlin", utc(2026, 10, 25, 7, 30), utc(2026, 10, 24, 7, 0)),
        ("Europe/Berlin", utc(2026, 10, 25, 8, 0), utc(2026, 10, 25, 8, 0)),
    ],
)
def test_a_daily_digest_is_for_the_latest_nine_oclock(
    zone: str, now: datetime, end: datetime
) -> None:
    schedule = DigestSchedule(weekly=False, at="09:00", zone=zone)
    start, found = digest_period(schedule, now)
    assert found == end
    assert start == digest_period(schedule, end - timedelta(seconds=1))[1]
    assert next_digest_at(schedule, now) == digest_period(schedule, now + timedelta(days=1))[1]


@pytest.mark.parametrize(
    ("at", "day", "end"),
    [
        # 02:30 does not exist on 29 March in Berlin: the digest goes at 03:30 CEST
        ("02:30", utc(2026, 3, 29, 12), utc(2026, 3, 29, 1, 30)),
        ("02:30", utc(2026, 3, 30, 12), utc(2026, 3, 30, 0, 30)),
        # 02:30 happens twice on 25 October: the first time
        ("02:30", utc(2026, 10, 25, 12), utc(2026, 10, 25, 0, 30)),
        ("02:30", utc(2026, 10, 26, 12), utc(2026, 10, 26, 1, 30)),
        ("00:00", utc(2026, 3, 29, 12), utc(2026, 3, 28, 23, 0)),
    ],
)
def test_berlin_clock_changes_move_the_moment_not_the_day(
    at: str, day: datetime, end: datetime
) -> None:
    schedule = DigestSchedule(weekly=False, at=at, zone="Europe/Berlin")
    assert digest_period(schedule, day)[1] == end


def test_a_weekly_digest_is_on_its_weekday() -> None:
    # Friday 4 December 2026; Monday is 0
    schedule = DigestSchedule(weekly=True, at="18:00", weekday=0, zone="Asia/Irkutsk")
    start, end = digest_period(schedule, utc(2026, 12, 4, 12))
    assert end == utc(2026, 11, 30, 10)  # Monday 30 November, 18:00 in Irkutsk
    assert start == utc(2026, 11, 23, 10)
    assert next_digest_at(schedule, utc(2026, 12, 4, 12)) == utc(2026, 12, 7, 10)
    period = digest_due(utc(2026, 12, 4, 12), schedule, None)
    assert period is not None
    assert period.local_days() == (
        datetime(2026, 11, 23).date(),  # noqa: DTZ001 - a calendar day
        datetime(2026, 11, 30).date(),  # noqa: DTZ001
    )


def test_a_late_digest_covers_everything_since_the_last_and_comes_once() -> None:
    schedule = DigestSchedule(weekly=False, at="09:00", zone="Asia/Irkutsk")
    last = utc(2026, 12, 1, 1)  # the digest of 1 December was made
    # the bot was down from then until 4 December, 05:00 UTC (13:00 in Irkutsk)
    period = digest_due(utc(2026, 12, 4, 5), schedule, last)
    assert period == Period(
        start=utc(2026, 12, 3, 1),
        end=utc(2026, 12, 4, 1),
        since=last,
        weekly=False,
        zone="Asia/Irkutsk",
    )
    assert digest_due(utc(2026, 12, 4, 5, 1), schedule, period.end) is None
    assert digest_due(utc(2026, 12, 5, 0, 59), schedule, period.end) is None
    assert digest_due(utc(2026, 12, 5, 1), schedule, period.end) is not None


def test_a_digest_reaches_back_a_week_at_most() -> None:
    schedule = DigestSchedule(weekly=False, at="09:00", zone="Europe/Moscow")
    period = digest_due(utc(2026, 12, 4, 7), schedule, utc(2026, 6, 1))
    assert period is not None
    assert period.since == period.end - timedelta(days=7)


def test_a_new_subscriber_gets_no_backlog() -> None:
    schedule = DigestSchedule(weekly=False, at="09:00", zone="Europe/Moscow")
    subscribed = utc(2026, 12, 4, 5, 59)  # 08:59 in Moscow
    period = digest_due(utc(2026, 12, 4, 6), schedule, subscribed)
    assert period is not None
    assert period.since == subscribed
    assert digest_due(utc(2026, 12, 4, 6), schedule, utc(2026, 12, 4, 6, 30)) is None


def test_instant_subscriptions_have_no_digest() -> None:
    assert digest_due(utc(2026, 12, 4), None, None) is None


@pytest.mark.parametrize("bad", ["25:00", "9", "09:60", ""])
def test_a_bad_time_is_refused_in_words(bad: str) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        DigestSchedule(weekly=False, at=bad)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("weekly", [False, True])
@pytest.mark.parametrize("at", ["00:00", "02:30", "09:00", "23:59"])
def test_a_year_of_ticks_with_outages_gives_one_digest_per_due_moment(
    zone: str, weekly: bool, at: str
) -> None:
    """A digest job ticking every few minutes for a year, with the bot down now and then
    (for minutes or days): every digest is for a moment already passed, at the schedule's
    time of day on the zone's clock (or just after a skipped hour), never two for the same
    moment, nothing between two digests left uncovered, and a due one is made at the first
    tick after it."""
    schedule = DigestSchedule(weekly=weekly, at=at, weekday=3, zone=zone)
    tz, clock_time = ZoneInfo(zone), parse_hhmm(at)
    rng = random.Random(f"{zone}{weekly}{at}")
    now = utc(2026, 1, 1)
    last_end: datetime | None = None
    ends: list[datetime] = []
    while now < utc(2027, 1, 1):
        period = digest_due(now, schedule, last_end)
        if period is None:
            assert last_end is not None
            assert next_digest_at(schedule, now) > now
        else:
            assert period.start < period.end <= now < next_digest_at(schedule, now)
            assert period.since == (period.start if last_end is None else last_end)
            local = period.end.astimezone(tz)
            if (local.hour, local.minute) != (clock_time.hour, clock_time.minute):
                assert zone == "Europe/Berlin"  # the hour skipped in spring
                assert local.hour == clock_time.hour + 1
            if weekly:
                assert local.weekday() == 3
            assert (
                timedelta(hours=23)
                <= period.end - period.start
                <= timedelta(hours=25) * (7 if weekly else 1)
            )
            ends.append(period.end)
            last_end = period.end
        down = rng.random() < 0.002
        now += timedelta(hours=rng.randint(1, 80)) if down else timedelta(minutes=17)
    assert ends == sorted(set(ends))
    assert len(ends) >= (40 if weekly else 300)


# Quiet hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "now", "start", "end", "until"),
    [
        # 22:00–07:00 in Irkutsk (UTC+8): 23:30 local is 15:30 UTC
        ("Asia/Irkutsk", utc(2026, 12, 4, 15, 30), "22:00", "07:00", utc(2026, 12, 4, 23)),
        ("Asia/Irkutsk", utc(2026, 12, 4, 19), "22:00", "07:00", utc(2026, 12, 4, 23)),
        ("Asia/Irkutsk", utc(2026, 12, 4, 14), "22:00", "07:00", utc(2026, 12, 4, 23)),
        ("Asia/Irkutsk", utc(2026, 12, 4, 13, 59), "22:00", "07:00", None),
        ("Asia/Irkutsk", utc(2026, 12, 4, 23), "22:00", "07:00", None),
        # the same day: 13:00–15:00 in Moscow
        ("Europe/Moscow", utc(2026, 12, 4, 10), "13:00", "15:00", utc(2026, 12, 4, 12)),
        ("Europe/Moscow", utc(2026, 12, 4, 11, 59), "13:00", "15:00", utc(2026, 12, 4, 12)),
        ("Europe/Moscow", utc(2026, 12, 4, 12), "13:00", "15:00", None),
        ("Europe/Kaliningrad", utc(2026, 12, 4, 21), "23:00", "06:00", utc(2026, 12, 5, 4)),
        # no quiet hours
        ("Europe/Moscow", utc(2026, 12, 4, 10), "13:00", "13:00", None),
        ("Europe/Moscow", utc(2026, 12, 4, 10), None, "13:00", None),
        ("Europe/Moscow", utc(2026, 12, 4, 10), "13:00", None, None),
        ("Europe/Moscow", utc(2026, 12, 4, 10), None, None, None),
        # an unknown zone is Moscow time
        ("Mars/Olympus", utc(2026, 12, 4, 10), "13:00", "15:00", utc(2026, 12, 4, 12)),
        (None, utc(2026, 12, 4, 10), "13:00", "15:00", utc(2026, 12, 4, 12)),
        # Berlin: the night clocks go forward (02:00 → 03:00) and back (03:00 → 02:00)
        ("Europe/Berlin", utc(2026, 3, 28, 23), "23:00", "07:00", utc(2026, 3, 29, 5)),
        ("Europe/Berlin", utc(2026, 10, 24, 23), "23:00", "07:00", utc(2026, 10, 25, 6)),
        ("Europe/Berlin", utc(2026, 3, 29, 0, 30), "01:00", "02:30", utc(2026, 3, 29, 1, 30)),
        # 02:10 on 25 October the second time round (01:10 UTC): the end still ahead
        ("Europe/Berlin", utc(2026, 10, 25, 1, 10), "01:00", "02:30", utc(2026, 10, 25, 1, 30)),
    ],
)
def test_quiet_hours_hold_until_their_end(
    zone: str | None, now: datetime, start: str | None, end: str | None, until: datetime | None
) -> None:
    assert quiet_until(now, zone, start, end) == until


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("start", "end"), [("22:00", "07:00"), ("13:00", "15:00")])
def test_quiet_hours_end_in_the_future_and_are_not_quiet_at_their_end(
    zone: str, start: str, end: str
) -> None:
    now = utc(2026, 1, 1)
    while now < utc(2027, 1, 1):
        until = quiet_until(now, zone, start, end)
        if until is not None:
            assert now < until <= now + timedelta(hours=10)
            assert quiet_until(until, zone, start, end) is None
        now += timedelta(minutes=53)


# Channel slots -----------------------------------------------------------------------------

SLOTS = ("09:00", "13:00", "18:00")


@pytest.mark.parametrize(
    ("now", "gap", "last", "due"),
    [
        # Irkutsk (UTC+8): 09:00, 13:00, 18:00 are 01:00, 05:00, 10:00 UTC
        (utc(2026, 12, 4, 0, 30), 0, None, utc(2026, 12, 4, 1)),
        (utc(2026, 12, 4, 1), 0, None, utc(2026, 12, 4, 1)),
        (utc(2026, 12, 4, 1, 1), 0, None, utc(2026, 12, 4, 5)),
        (utc(2026, 12, 4, 11), 0, None, utc(2026, 12, 5, 1)),
        # a slot sooner than the gap after the last post is skipped
        (utc(2026, 12, 4, 4), 60, utc(2026, 12, 4, 4, 30), utc(2026, 12, 4, 10)),
        (utc(2026, 12, 4, 4), 60, utc(2026, 12, 4, 3, 59), utc(2026, 12, 4, 5)),
    ],
)
def test_a_batched_channel_posts_at_its_next_slot(
    now: datetime, gap: int, last: datetime | None, due: datetime
) -> None:
    assert next_slot(now, "Asia/Irkutsk", SLOTS, timedelta(minutes=gap), last) == due


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        (utc(2026, 12, 4, 12), None, utc(2026, 12, 4, 12)),
        (utc(2026, 12, 4, 12), utc(2026, 12, 4, 11, 50), utc(2026, 12, 4, 12, 5)),
        (utc(2026, 12, 4, 12), utc(2026, 12, 4, 11, 40), utc(2026, 12, 4, 12)),
    ],
)
def test_an_instant_channel_keeps_the_gap(
    now: datetime, last: datetime | None, due: datetime
) -> None:
    assert next_slot(now, "Europe/Moscow", (), timedelta(minutes=15), last) == due


@pytest.mark.parametrize("zone", ZONES)
def test_slots_are_never_in_the_past_and_never_more_than_a_day_away(zone: str) -> None:
    tz = ZoneInfo(zone)
    now = utc(2026, 1, 1)
    while now < utc(2027, 1, 1):
        due = next_slot(now, zone, SLOTS, timedelta(0), None)
        assert now <= due <= now + timedelta(hours=16)
        local = due.astimezone(tz)
        assert f"{local.hour:02d}:{local.minute:02d}" in SLOTS
        now += timedelta(minutes=71)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("09:00,13:00,18:00", ("09:00", "13:00", "18:00")),
        ("18:00, 9:00 13:00,9:00", ("09:00", "13:00", "18:00")),
        ("00:00", ("00:00",)),
    ],
)
def test_slots_are_read_sorted_and_once(text: str, slots: tuple[str, ...]) -> None:
    assert parse_slots(text) == slots


@pytest.mark.parametrize("text", ["", " , ", "9am", "24:00", "09:00,13:61"])
def test_bad_slots_are_refused_in_words(text: str) -> None:
    with pytest.raises(ValueError, match="posting times|time of day"):
        parse_slots(text)
