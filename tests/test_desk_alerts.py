"""Admin alerts: the rate part as pure arithmetic, and the whole bot sending one through the
strict fake Bot API, once, not again within the hour (ManualClock), to ERROR_CHAT_ID or, unset,
to the owners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from bot.desk.alerts import AdminFailureWatch, AlertGate, AlertingChannels, Decision
from bot.ingest.schedule import FIRST_FETCH_SPREAD
from bot.tagging.language import Language
from tests.bot_harness import EXTRA_FEED, BotHarness, running_bot
from tests.conftest import SettingsFactory
from tests.telegram_stand import TelegramStand
from tests.web_stand import WebStand

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        # the same key: once, then silent for the hour, then again
        (
            [("a", 0), ("a", 1), ("a", 3599), ("a", 3600)],
            [Decision(True), Decision(False), Decision(False), Decision(True)],
        ),
        # different keys: each once, up to 2 a minute (per_minute=2 below); the third waits
        (
            [("a", 0), ("b", 1), ("c", 2), ("d", 61), ("e", 62)],
            [Decision(True), Decision(True), Decision(False), Decision(True, 1), Decision(True)],
        ),
        # a held-back key is not marked as said: it goes out once the minute allows
        (
            [("a", 0), ("b", 0), ("c", 0), ("c", 60)],
            [Decision(True), Decision(True), Decision(False), Decision(True, 1)],
        ),
        # a repeat within the hour is not counted as held back
        (
            [("a", 0), ("a", 1), ("a", 2), ("b", 3)],
            [Decision(True), Decision(False), Decision(False), Decision(True)],
        ),
    ],
)
def test_the_gate(attempts: list[tuple[str, int]], expected: list[Decision]) -> None:
    gate = AlertGate(per_minute=2)
    assert [gate.decide(key, T0 + seconds * S) for key, seconds in attempts] == expected


def test_the_gate_needs_a_positive_allowance() -> None:
    with pytest.raises(ValueError, match="per_minute"):
        AlertGate(per_minute=0)


OWNERS = (1001, 1002)


@pytest_asyncio.fixture(name="owners_bot")
async def owners_bot_fixture(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> AsyncIterator[BotHarness]:
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids="1001,1002",
        alerts_per_minute=2,
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        yield harness


async def test_an_alert_goes_to_every_owner_once_and_not_again_within_the_hour(
    owners_bot: BotHarness,
) -> None:
    stand, alerts = owners_bot.stand, owners_bot.runtime.alerts
    chats = [stand.private_chat(stand.user(owner, f"Owner {owner}")) for owner in OWNERS]
    assert alerts.targets == OWNERS

    assert await alerts.alert("source:7:disabled", "Источник «Ангара <b>» отключён: 10 ошибок")
    owners_bot.clock.advance(timedelta(minutes=59))
    assert not await alerts.alert("source:7:disabled", "Источник «Ангара <b>» отключён: 10 ошибок")

    for chat in chats:
        [message] = stand.messages_in(chat)
        assert message.text == "⚠️ Источник «Ангара <b>» отключён: 10 ошибок"  # escaped, sent
    owners_bot.clock.advance(timedelta(minutes=1))
    assert await alerts.alert("source:7:disabled", "Источник снова отключён")
    assert [len(stand.messages_in(chat)) for chat in chats] == [2, 2]


async def test_a_flood_of_alerts_is_capped_and_the_next_one_says_how_many_were_held(
    owners_bot: BotHarness,
) -> None:
    stand, alerts = owners_bot.stand, owners_bot.runtime.alerts
    chat = stand.private_chat(stand.user(1001, "Ольга"))
    stand.private_chat(stand.user(1002, "Пётр"), started=False)  # never wrote: cannot get it

    sent = [await alerts.alert(f"source:{n}:disabled", f"Источник {n} отключён") for n in range(5)]
    owners_bot.clock.advance(timedelta(minutes=1))
    late = await alerts.alert("channel:-100:rights", "Канал: нет права публиковать")

    assert sent == [True, True, False, False, False]
    assert late
    texts = [message.text for message in stand.messages_in(chat)]
    assert texts == [
        "⚠️ Источник 0 отключён",
        "⚠️ Источник 1 отключён",
        "⚠️ Канал: нет права публиковать\n"
        "(ещё 3 предупреждения придержаны, чтобы не засыпать чат; подробности в журнале.)",
    ]


async def test_error_chat_id_takes_the_alerts_instead_of_the_owners(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> None:
    group = telegram_stand.group("Редакция: тревоги")
    olga = telegram_stand.user(1001, "Ольга")
    await telegram_stand.add_bot_to_group(group, by=olga)
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids="1001",
        error_chat_id=str(group.id),
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        alerts = harness.runtime.alerts
        assert alerts.targets == (group.id,)
        before = len(telegram_stand.messages_in(group))
        assert await alerts.alert("storage:ingest", "Сбор новостей остановлен: диск заполнен")
        assert [m.text for m in telegram_stand.messages_in(group)[before:]] == [
            "⚠️ Сбор новостей остановлен: диск заполнен"
        ]
        assert telegram_stand.messages_in(telegram_stand.private_chat(olga)) == []


async def test_the_ingest_job_tells_the_owners_when_a_source_is_disabled(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> None:
    web_stand.add(EXTRA_FEED, b"gone", status=410)  # the harness's «extra» source: gone for good
    settings = make_settings(
        bot_token=telegram_stand.token, telegram_api_url=telegram_stand.base_url, admin_ids="1001"
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        owner = telegram_stand.private_chat(telegram_stand.user(1001, "Ольга"))
        harness.clock.advance(FIRST_FETCH_SPREAD)  # every new source is due by then
        await harness.runtime.ingest_job.run()
        await harness.runtime.ingest_job.run()  # still disabled: said once, not again

        texts = [message.text or "" for message in telegram_stand.messages_in(owner)]
        assert len(texts) == 1
        assert texts[0].startswith("⚠️ Источник «extra» отключён: ")
        assert "410" in texts[0]
        assert texts[0].endswith("Подробности — в /sources.")


async def test_deliveries_failing_for_good_are_reported_when_they_pile_up(
    owners_bot: BotHarness,
) -> None:
    stand = owners_bot.stand
    chat = stand.private_chat(stand.user(1001, "Ольга"))
    watch = AdminFailureWatch(owners_bot.runtime.alerts, threshold=3, clock=owners_bot.clock)

    assert not await watch.failed(-100, "Bad Request: message is too long")
    owners_bot.clock.advance(timedelta(minutes=61))  # the first one has left the window
    assert not await watch.failed(-101, "Telegram server says - Bad Gateway")
    assert not await watch.failed(-102, "Telegram server says - Bad Gateway")
    assert stand.messages_in(chat) == []
    assert await watch.failed(-103, "Telegram server says - Bad Gateway")
    assert not await watch.failed(-104, "Telegram server says - Bad Gateway")  # once an hour

    [alert] = stand.messages_in(chat)
    assert alert.text == (
        "⚠️ За час окончательно не доставлено сообщений: 3; последнее — в чат -103:"
        " Telegram server says - Bad Gateway"
    )


async def test_a_paused_channel_is_also_reported_to_error_chat_id(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> None:
    group = telegram_stand.group("Редакция: тревоги")
    olga = telegram_stand.user(1001, "Ольга")
    await telegram_stand.add_bot_to_group(group, by=olga)
    channel = telegram_stand.channel("Промышленность Приангарья", username="irk_industry")
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids="1001",
        error_chat_id=str(group.id),
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        runtime = harness.runtime
        await runtime.channels.link(runtime.bot, "@irk_industry", by=1001)
        channels = AlertingChannels(runtime.channels, runtime.alerts, error_chat_id=group.id)
        before = len(telegram_stand.messages_in(group))
        reason = "Bad Request: need administrator rights in the channel chat"

        assert await channels.pause(channel.id, reason)
        assert not await channels.pause(channel.id, reason)  # already paused: said once

        assert [m.text for m in telegram_stand.messages_in(group)[before:]] == [
            f"⚠️ Публикация в канал {channel.id} приостановлена: {reason}."
            " Подробности — в /channels."
        ]
