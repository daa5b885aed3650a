"""Flood control: a real aiogram ``Bot`` with :class:`RetryAfterMiddleware` against the strict
fake Bot API, whose rate limits run on a manual clock that the middleware's sleep moves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError

from bot.app.runtime import make_bot
from bot.telegram.receipts import SendMessageForReceipt
from bot.telegram.retry import RetryAfterMiddleware
from tests.telegram_stand import ClockSleep, ManualClock, RateLimits, TelegramStand

STRICT = RateLimits(private_per_second=1.0, private_burst=1)


@dataclass
class Flooded:
    stand: TelegramStand
    bot: Bot
    sleep: ClockSleep


@pytest.fixture
async def flooded() -> AsyncIterator[Flooded]:
    """A stand with strict private-chat limits on a manual clock, and a bot that retries."""
    clock = ManualClock()
    async with TelegramStand(clock=clock, limits=STRICT) as stand:
        bot = stand.make_bot()
        sleep = ClockSleep(clock)
        bot.session.middleware(RetryAfterMiddleware(sleep=sleep))
        try:
            yield Flooded(stand, bot, sleep)
        finally:
            await bot.session.close()


def refusals(stand: TelegramStand) -> list[int]:
    """The ``retry_after`` of every 429 the stand answered ``sendMessage`` with."""
    return [
        int((call.parameters or {})["retry_after"])
        for call in stand.calls("sendMessage")
        if call.error_code == 429
    ]


async def test_three_quick_replies_to_one_chat_all_arrive_after_the_waits_telegram_asked_for(
    flooded: Flooded,
) -> None:
    stand, bot = flooded.stand, flooded.bot
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)

    sent = await asyncio.gather(*(bot.send_message(chat.id, f"ответ {n}") for n in (1, 2, 3)))

    assert sorted(message.text or "" for message in sent) == ["ответ 1", "ответ 2", "ответ 3"]
    assert sorted(m.text or "" for m in stand.messages_in(chat)) == [
        "ответ 1",
        "ответ 2",
        "ответ 3",
    ]
    asked = refusals(stand)
    assert len(asked) >= 2  # the limit really bit: one token, three sends
    assert sorted(flooded.sleep.waits) == sorted(asked)
    assert len(stand.calls("sendMessage")) == 3 + len(asked)


async def test_replies_sent_one_after_another_wait_one_second_each(
    flooded: Flooded, caplog: pytest.LogCaptureFixture
) -> None:
    stand, bot = flooded.stand, flooded.bot
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)

    with caplog.at_level(logging.INFO, logger="bot.telegram.retry"):
        for n in (1, 2, 3):
            await bot.send_message(chat.id, f"ответ {n}")
        # The handlers' receipt-reading class is logged by the same Bot API method name.
        await SendMessageForReceipt(chat_id=chat.id, text="ответ 4").as_(bot).receipt()

    assert [m.text for m in stand.messages_in(chat)] == [f"ответ {n}" for n in (1, 2, 3, 4)]
    assert refusals(stand) == [1, 1, 1]
    assert flooded.sleep.waits == [1.0, 1.0, 1.0]
    assert [record.getMessage() for record in caplog.records] == [
        "sendMessage to chat 1001: flood control, retry 1 of 3 in 1 s",
    ] * 3


@pytest.mark.parametrize(
    ("retry_after", "waits"),
    [
        (20, [20.0]),  # a second 20 s wait would pass the 30 s bound
        (1, [1.0, 1.0, 1.0]),  # three retries, then no more
        (31, []),  # one wait alone is past the bound
    ],
)
async def test_flood_control_past_the_bounds_is_raised(
    flooded: Flooded, retry_after: int, waits: list[float]
) -> None:
    stand, bot = flooded.stand, flooded.bot
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    stand.fail_next(
        "sendMessage",
        times=10,
        error_code=429,
        description=f"Too Many Requests: retry after {retry_after}",
        parameters={"retry_after": retry_after},
    )

    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(chat.id, "ответ")

    assert flood.value.retry_after == retry_after
    assert flooded.sleep.waits == waits
    assert len(stand.calls("sendMessage")) == len(waits) + 1
    assert stand.messages_in(chat) == []


async def test_a_server_error_is_not_resent(flooded: Flooded) -> None:
    """A 5xx may or may not have delivered: resending could show the reader a message twice."""
    stand, bot = flooded.stand, flooded.bot
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    stand.fail_next("sendMessage", error_code=500, description="Internal Server Error")

    with pytest.raises(TelegramServerError):
        await bot.send_message(chat.id, "ответ")

    assert len(stand.calls("sendMessage")) == 1
    assert flooded.sleep.waits == []


async def test_the_bot_the_app_builds_has_flood_control() -> None:
    bot = make_bot("7000000001:AAStandTestTokenForRegionewsBot0000", "http://127.0.0.1:9")
    try:
        assert [type(m) for m in bot.session.middleware] == [RetryAfterMiddleware]
    finally:
        await bot.session.close()


def test_negative_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryAfterMiddleware(max_retries=-1)
