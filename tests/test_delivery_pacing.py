"""The pacer's arithmetic: Telegram's flood limits over a manual clock, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.pacing import Pacer, PacingLimits, Scope, send_order
from tests.telegram_stand.limits import ManualClock, RateLimiter, RateLimits


def pacer(clock: ManualClock, **limits: float) -> Pacer:
    return Pacer(PacingLimits(**limits), clock)  # type: ignore[arg-type]


def send_when_free(pacer: Pacer, clock: ManualClock, chat_id: int, kind: str) -> float:
    """Move the clock to the chat's reserved slot; the moment it was."""
    clock.advance(pacer.reserve(chat_id, kind))
    return clock()


@pytest.mark.parametrize(("rate", "margin"), [(30.0, 0.02), (30.0, 0.0), (10.0, 0.05)])
def test_global_sends_are_evenly_spaced_just_below_the_limit(rate: float, margin: float) -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=rate, margin=margin)
    moments = [send_when_free(subject, clock, chat_id, "private") for chat_id in range(301)]
    spacing = 1 / (rate * (1 - margin))
    assert moments[1] - moments[0] == pytest.approx(spacing)
    assert moments[-1] - moments[0] == pytest.approx(300 * spacing)


def test_a_late_wakeup_catches_up_by_the_slack_only() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=10.0, margin=0.0, late_slack=0.005)
    assert subject.reserve(1, "private") == 0.0
    clock.advance(0.103)  # woke 3 ms late: the next slot still counts from 0.1
    assert subject.reserve(2, "private") == 0.0
    assert subject.global_wait() == pytest.approx(0.097)
    clock.advance(0.097 + 0.050)  # 50 ms late: only 5 ms are made up
    subject.reserve(3, "private")
    assert subject.global_wait() == pytest.approx(0.1 - 0.005)


@pytest.mark.parametrize("seconds", [5, 20, 120])
def test_a_steady_stream_never_trips_the_stands_sliding_window(seconds: int) -> None:
    """The stand counts like Telegram (at most 30 in any second); the pacer stays under."""
    clock = ManualClock(0.0)
    subject = pacer(clock)
    stand = RateLimiter(RateLimits(), clock)
    sent = 0
    chat_id = 0
    while clock() < seconds:
        chat_id += 1
        clock.advance(subject.reserve(chat_id, "group"))
        assert stand.acquire(chat_id, private=False) is None
        sent += 1
    assert sent / seconds >= 0.97 * 30


@pytest.mark.parametrize(
    ("kind", "sends", "first_wait"),
    [("private", 3, 1.0 / 0.98), ("group", 20, 60 * 1.02), ("channel", 20, 60 * 1.02)],
)
def test_a_chat_gets_its_burst_then_waits(kind: str, sends: int, first_wait: float) -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=1e6)
    for _ in range(sends):
        assert subject.chat_wait(42) == 0.0
        subject.reserve(42, kind)
    assert subject.chat_wait(42) == pytest.approx(first_wait, rel=1e-3)
    assert 42 in subject.busy_chats()
    assert subject.chat_wait(43) == 0.0
    clock.advance(first_wait)
    assert subject.chat_wait(42) == pytest.approx(0.0, abs=1e-9)
    assert 42 not in subject.busy_chats()


def test_a_private_chat_is_paced_as_the_stand_paces_it() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=1e6)
    stand = RateLimiter(RateLimits(global_per_second=10**6), clock)
    for _ in range(50):
        clock.advance(subject.reserve(7, "private"))
        assert stand.acquire(7, private=True) is None


def test_a_reply_reserves_ahead_of_a_delivery() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=10.0, margin=0.0)
    subject.reserve(1, "private")
    reply_wait = subject.reserve(2, "private")  # the next slot is the reply's
    assert reply_wait == pytest.approx(0.1)
    assert subject.global_wait() == pytest.approx(0.2)  # a delivery waits behind it


def test_a_429_after_recent_messages_pauses_the_chat_only() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=1e6)
    for _ in range(3):
        subject.reserve(5, "private")
    assert subject.note_retry_after(5, "private", 7) is Scope.CHAT
    assert subject.chat_wait(5) == pytest.approx(7.0)
    assert subject.global_wait() == pytest.approx(0.0, abs=1e-3)
    assert subject.chat_wait(6) == 0.0


@pytest.mark.parametrize("kind", ["private", "group", "channel"])
def test_a_429_to_a_quiet_chat_pauses_every_chat(kind: str) -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock)
    subject.reserve(9, kind)
    assert subject.note_retry_after(9, kind, 3) is Scope.GLOBAL
    assert subject.global_wait() == pytest.approx(3.0)
    assert subject.global_wait(paid=True) == pytest.approx(3.0)
    assert subject.reserve(10, "private") == pytest.approx(3.0)


def test_paid_broadcasts_have_their_own_higher_rate() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, paid_per_second=1000.0, margin=0.0)
    for chat_id in range(100):
        clock.advance(subject.reserve(chat_id, "private", paid=True))
    assert clock() == pytest.approx(0.099)
    assert subject.global_wait() == 0.0


def test_limits_off_never_wait() -> None:
    clock = ManualClock(0.0)
    subject = Pacer(PacingLimits.off(), clock)
    assert all(subject.reserve(1, "private") == 0.0 for _ in range(100))
    assert subject.busy_chats() == set()
    assert subject.chat_wait(1) == 0.0


def test_quiet_chats_are_forgotten() -> None:
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=1e6)
    for chat_id in range(5000):
        subject.reserve(chat_id, "private")
    clock.advance(3600)
    for chat_id in range(5000, 5000 + 4096):
        subject.reserve(chat_id, "private")
    assert subject.chats_tracked < 5000


@pytest.mark.parametrize(
    "limits",
    [
        {"global_per_second": 0},
        {"private_burst": 0},
        {"group_per_minute": 0},
        {"margin": 1.0},
        {"late_slack": -1},
    ],
)
def test_impossible_limits_are_refused(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        PacingLimits(**limits)  # type: ignore[arg-type]


def test_send_order_is_priority_then_due_time_then_row() -> None:
    t = datetime(2026, 3, 17, 9, tzinfo=UTC)
    items = [
        (3, t, 1),  # digest
        (1, t + timedelta(seconds=5), 2),  # instant, due later
        (0, t + timedelta(seconds=9), 3),  # urgent
        (2, t, 4),  # channel post
        (1, t, 5),  # instant
        (1, t, 0),
    ]
    assert [row for *_, row in sorted(items, key=lambda item: send_order(*item))] == [
        3,
        0,
        5,
        2,
        4,
        1,
    ]


def test_a_send_that_left_late_holds_the_one_a_window_later() -> None:
    """Telegram counts a message when it arrives: if one went out 50 ms after its slot, the
    send 30 later waits a second from when it actually went, not from its slot."""
    clock = ManualClock(0.0)
    subject = pacer(clock, global_per_second=10.0, margin=0.0)
    started = []
    for chat_id in range(11):
        clock.advance(subject.reserve(chat_id, "private"))
        if chat_id == 0:
            clock.advance(0.05)  # the event loop was busy: the request left late
        subject.note_started()
        started.append(clock())
    assert started[10] - started[0] >= 1.0
