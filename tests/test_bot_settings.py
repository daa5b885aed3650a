"""Stories of /settings, /pause and /resume, and of a reader who taps faster than Telegram's
flood limits allow. (/stop with «Да, отписаться» and «Отмена» is told in test_bot_buttons.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from bot.domain.models import DeliveryMode, Subscription
from bot.tagging.language import Language
from bot.telegram.retry import RetryAfterMiddleware
from tests.bot_harness import BotHarness, harness_fixture, running_bot  # noqa: F401
from tests.conftest import SettingsFactory
from tests.telegram_stand import ClockSleep, ManualClock, RateLimits, TelegramStand
from tests.web_stand import WebStand

MENU = [
    ["📬 Режим доставки", "🕘 Время сводки"],
    ["📅 День недельной сводки", "🌍 Часовой пояс"],
    ["🌙 Тихие часы", "🗣 Язык"],
]
REFUSAL = "Менять подписку этого чата могут только его администраторы."
PAUSED = "Доставка на паузе. Отправьте /resume, чтобы продолжить."


def settings_text(
    delivery: str = "каждая новость сразу, как выйдет",
    time: str = "09:00",
    weekday: str = "Пн",
    zone: str = "Иркутск (UTC+8)",
    quiet: str = "выключены",
) -> str:
    return (
        "Настройки\n"
        f"Доставка: {delivery}\n"
        f"Время сводки: {time}\n"
        f"День недельной сводки: {weekday}\n"
        f"Часовой пояс: {zone}\n"
        f"Тихие часы: {quiet}\n"
        "Язык: Русский\n"
        "\n"
        "Выберите, что изменить."
    )


async def current(harness: BotHarness, chat_id: int) -> Subscription:
    subscription = await harness.subscription(chat_id)
    assert subscription is not None
    return subscription


async def test_a_reader_changes_every_setting_and_my_shows_them_in_words(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    await harness.send(anna, chat, "/start region-RU-IRK")

    [menu] = await harness.send(anna, chat, "/settings")
    assert menu.text == settings_text()
    assert menu.button_texts() == MENU

    # Delivery mode: a submenu with the current mode ticked, then back to the menu, saved.
    answer = await harness.press(anna, menu, "📬 Режим доставки")
    assert answer.text is None
    assert menu.button_texts() == [["✅ Сразу"], ["Раз в день"], ["Раз в неделю"], ["⬅️ Назад"]]
    answer = await harness.press(anna, menu, "Раз в неделю")
    assert answer.text == "Сохранено"
    assert (await current(harness, chat.id)).mode is DeliveryMode.WEEKLY
    assert menu.text == settings_text(delivery="еженедельная сводка по понедельникам в 09:00")
    assert menu.button_texts() == MENU

    await harness.press(anna, menu, "📅 День недельной сводки")
    assert menu.button_texts() == [
        ["✅ Пн", "Вт", "Ср", "Чт"],
        ["Пт", "Сб", "Вс"],
        ["⬅️ Назад"],
    ]
    answer = await harness.press(anna, menu, "Пт")
    assert answer.text == "Сохранено"
    assert (await current(harness, chat.id)).digest_weekday == 4

    await harness.press(anna, menu, "🕘 Время сводки")
    assert menu.button_texts() == [
        ["07:00", "08:00", "✅ 09:00", "10:00"],
        ["12:00", "15:00", "18:00", "21:00"],
        ["⬅️ Назад"],
    ]
    answer = await harness.press(anna, menu, "18:00")
    assert answer.text == "Сохранено"
    assert (await current(harness, chat.id)).digest_time == "18:00"

    await harness.press(anna, menu, "🌍 Часовой пояс")
    assert menu.button_texts()[0] == ["Калининград UTC+2", "Москва UTC+3"]
    assert ["✅ Иркутск UTC+8", "Якутск UTC+9"] in menu.button_texts()
    answer = await harness.press(anna, menu, "Калининград UTC+2")
    assert answer.text == "Сохранено"
    assert (await current(harness, chat.id)).timezone == "Europe/Kaliningrad"

    await harness.press(anna, menu, "🌙 Тихие часы")
    assert menu.button_texts() == [
        ["22:00–07:00", "23:00–07:00"],
        ["23:00–08:00", "00:00–08:00"],
        ["✅ Выключить"],
        ["⬅️ Назад"],
    ]
    answer = await harness.press(anna, menu, "23:00–08:00")
    assert answer.text == "Сохранено"
    subscription = await current(harness, chat.id)
    assert (subscription.quiet_start, subscription.quiet_end) == ("23:00", "08:00")
    assert menu.text == settings_text(
        delivery="еженедельная сводка по пятницам в 18:00",
        time="18:00",
        weekday="Пт",
        zone="Калининград (UTC+2)",
        quiet="23:00–08:00",
    )

    [mine] = await harness.send(anna, chat, "/my")
    assert mine.text == (
        "Ваша подписка\n"
        "1. Иркутская область · все разделы · все темы\n"
        "\n"
        "Доставка: еженедельная сводка по пятницам в 18:00\n"
        "Часовой пояс: Калининград (UTC+2)\n"
        "Тихие часы: 23:00–08:00"
    )

    # «⚙️ Настройки» under /my opens the same menu; quiet hours go off again.
    await harness.press(anna, mine, "⚙️ Настройки")
    assert mine.button_texts() == MENU
    await harness.press(anna, mine, "🌙 Тихие часы")
    assert ["✅ 23:00–08:00", "00:00–08:00"] in mine.button_texts()
    answer = await harness.press(anna, mine, "Выключить")
    assert answer.text == "Сохранено"
    subscription = await current(harness, chat.id)
    assert (subscription.quiet_start, subscription.quiet_end) == (None, None)
    assert (mine.text or "").endswith(
        "Тихие часы: выключены\nЯзык: Русский\n\nВыберите, что изменить."
    )

    # «⬅️ Назад» leaves a submenu without changing anything; a preset pressed twice is
    # saved once and the second press changes nothing more.
    await harness.press(anna, mine, "📅 День недельной сводки")
    await harness.press(anna, mine, "⬅️ Назад")
    assert mine.button_texts() == MENU
    before = await current(harness, chat.id)
    await harness.press(anna, mine, "📅 День недельной сводки")
    taps = [await anna.press(mine, button="✅ Пт") for _ in range(2)]
    await harness.settle()
    assert [stand.answer_for(tap) is not None for tap in taps] == [True, True]
    assert await current(harness, chat.id) == before

    [mine] = await harness.send(anna, chat, "/my")
    assert (mine.text or "").endswith(
        "Доставка: еженедельная сводка по пятницам в 18:00\n"
        "Часовой пояс: Калининград (UTC+2)\n"
        "Тихие часы: выключены"
    )


async def test_pause_and_resume_say_so_and_my_shows_the_pause(harness: BotHarness) -> None:
    stand = harness.stand
    boris = stand.user(1002, "Борис")
    chat = stand.private_chat(boris)

    [nothing] = await harness.send(boris, chat, "/pause")
    assert nothing.text == "У этого чата нет подписки. Отправьте /start, чтобы её настроить."
    assert await harness.subscription(chat.id) is None

    await harness.send(boris, chat, "/start region-RU-IRK")
    [paused] = await harness.send(boris, chat, "/pause")
    assert paused.text == PAUSED
    assert (await current(harness, chat.id)).paused is True

    [mine] = await harness.send(boris, chat, "/my")
    assert (mine.text or "").endswith("Тихие часы: выключены\n" + PAUSED)

    [resumed] = await harness.send(boris, chat, "/resume")
    assert resumed.text == "Доставка снова включена."
    assert (await current(harness, chat.id)).paused is False
    [mine] = await harness.send(boris, chat, "/my")
    assert (mine.text or "").endswith("Тихие часы: выключены")


async def test_a_group_member_who_is_not_an_admin_cannot_change_its_settings(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    pavel = stand.user(2002, "Павел")
    group = stand.group("Экспортёры Приангарья", owner=olga, admins=[olga], members=[pavel])
    await harness.send(olga, group, "/start region-RU-IRK")
    before = await current(harness, group.id)

    [menu] = await harness.send(olga, group, "/settings")
    assert menu.button_texts() == MENU

    answer = await harness.press(pavel, menu, "📬 Режим доставки")
    assert (answer.text, answer.show_alert) == (REFUSAL, True)
    assert menu.button_texts() == MENU

    await harness.press(olga, menu, "📬 Режим доставки")
    shown = (menu.text, menu.reply_markup)
    answer = await harness.press(pavel, menu, "Раз в неделю")
    assert (answer.text, answer.show_alert) == (REFUSAL, True)
    assert (menu.text, menu.reply_markup) == shown
    assert await current(harness, group.id) == before

    [refusal] = await harness.send(pavel, group, "/pause")
    assert refusal.text == REFUSAL
    assert (await current(harness, group.id)).paused is False

    answer = await harness.press(olga, menu, "Раз в неделю")
    assert answer.text == "Сохранено"
    assert (await current(harness, group.id)).mode is DeliveryMode.WEEKLY


# Flood control ------------------------------------------------------------------------------


@dataclass
class FloodStory:
    harness: BotHarness
    clock: ManualClock
    sleep: ClockSleep


@pytest_asyncio.fixture
async def flood_story(
    web_stand: WebStand, make_settings: SettingsFactory, language: Language
) -> AsyncIterator[FloodStory]:
    """The running bot on a stand whose flood limits follow a manual clock; the bot's own
    flood-control middleware (the one ``make_bot`` registered) waits on that clock."""
    clock = ManualClock()
    async with TelegramStand(clock=clock) as stand:
        settings = make_settings(bot_token=stand.token, telegram_api_url=stand.base_url)
        async with running_bot(stand, web_stand, settings, language) as harness:
            middleware = harness.runtime.bot.session.middleware
            [registered] = [m for m in middleware if isinstance(m, RetryAfterMiddleware)]
            middleware.unregister(registered)
            sleep = ClockSleep(clock)
            middleware(
                RetryAfterMiddleware(
                    sleep=sleep,
                    max_retries=registered.max_retries,
                    max_total_wait=registered.max_total_wait,
                )
            )
            stand.set_limits(RateLimits(private_per_second=1.0, private_burst=1))
            yield FloodStory(harness, clock, sleep)


async def test_a_reader_who_taps_fast_gets_every_reply(flood_story: FloodStory) -> None:
    harness, stand = flood_story.harness, flood_story.harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    await harness.send(anna, chat, "/start region-RU-IRK")
    flood_story.clock.advance(60)  # a minute later she taps four commands in a row

    commands = ("/my", "/settings", "/help", "/latest")
    for command in commands:
        await anna.send(chat, command)  # all four before the bot has answered any
    await harness.settle()

    replies = stand.messages_in(chat)[1:]
    heads = sorted((message.text or "").split("\n", 1)[0] for message in replies)
    assert heads == [
        "Ваша подписка",
        "Настройки",
        "Новостей пока нет. Новые статьи появятся здесь, как только выйдут.",
        "Что я умею",
    ]
    refused = [
        int((call.parameters or {})["retry_after"])
        for call in stand.calls("sendMessage")
        if call.error_code == 429
    ]
    assert len(refused) >= len(commands) - 1  # one message a second, no burst: it really bit
    assert sorted(flood_story.sleep.waits) == sorted(refused)
