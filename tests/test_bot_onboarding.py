"""Stories of a new reader: the guided set-up after /start, deep links, and /my."""

from __future__ import annotations

from bot.domain.models import ChatKind, DeliveryMode, Rule
from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

WELCOME = (
    "Здравствуйте! Я присылаю новости промышленности и экспорта из регионов России.\n"
    "Выберите регионы, разделы и темы — и я буду присылать сюда новые статьи сразу или в"
    " ежедневной либо еженедельной сводке.\n"
    "/latest — свежие новости, /search — поиск статей, /help — все команды."
)
DISTRICTS = [
    ["Центральный ФО", "Северо-Западный ФО"],
    ["Южный ФО", "Северо-Кавказский ФО"],
    ["Приволжский ФО", "Уральский ФО"],
    ["Сибирский ФО", "Дальневосточный ФО"],
]
CHANGE_HINT = "Изменить можно в любой момент: /my, /regions, /sections, /topics, /settings."


async def test_a_new_reader_picks_irkutsk_oblast_and_a_daily_digest(harness: BotHarness) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)

    welcome, wizard = await harness.send(anna, chat, "/start")
    assert welcome.text == WELCOME
    assert welcome.reply_markup is None
    assert wizard.text == (
        "Шаг 1 из 4\n"
        "Выберите регионы. ✅ — выбранные; если не выбрано ничего, подойдёт любой регион.\n"
        "Страница: Регионы с новостями\n"
        "Выбрано: любые"
    )
    assert wizard.button_texts() == [
        ["Иркутская область", "Липецкая область"],
        *DISTRICTS,
        ["✅ Любой регион"],
        ["Далее ➡️"],
    ]
    known = await harness.chat(chat.id)
    assert known is not None
    assert (known.kind, known.title, known.language, known.active) == (
        ChatKind.PRIVATE,
        "Анна",
        "ru",
        True,
    )

    answer = await harness.press(anna, wizard, "Иркутская область")
    assert answer.text is None  # a quiet acknowledgement: the keyboard itself shows the change
    assert wizard.text is not None and wizard.text.endswith("Выбрано: Иркутская область")
    assert wizard.button_texts()[0] == ["✅ Иркутская область", "Липецкая область"]
    assert wizard.button_texts()[-2] == ["Любой регион"]
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert [(rule.regions, rule.sections, rule.topics) for rule in subscription.rules] == [
        (("RU-IRK",), (), ())
    ]
    assert subscription.timezone == "Asia/Irkutsk"  # the first region's zone, UTC+8

    # The region is also on its federal district's page, already ticked.
    await harness.press(anna, wizard, "Сибирский ФО")
    assert "Страница: Сибирский ФО" in (wizard.text or "")
    assert ["◀️ Назад", "Ещё ▶️"] in wizard.button_texts()
    assert any("✅ Иркутская область" in row for row in wizard.button_texts())
    await harness.press(anna, wizard, "◀️ Назад")  # district pages go back one by one
    assert "Страница: Уральский ФО" in (wizard.text or "")

    await harness.press(anna, wizard, "Далее ➡️")
    assert (wizard.text or "").startswith("Шаг 2 из 4\nВыберите разделы.")
    assert ["Лучшие практики ВЭД"] in wizard.button_texts()
    assert wizard.button_texts()[-2:] == [["✅ Любой раздел"], ["Далее ➡️"]]
    await harness.press(anna, wizard, "Далее ➡️")
    assert (wizard.text or "").startswith("Шаг 3 из 4\nВыберите темы.")
    assert wizard.button_texts()[-2:] == [["✅ Любая тема"], ["Далее ➡️"]]
    await harness.press(anna, wizard, "Далее ➡️")
    assert wizard.text == (
        "Шаг 4 из 4\nКак присылать новости? Это можно изменить позже в /settings."
    )
    assert wizard.button_texts() == [["Сразу"], ["Раз в день"], ["Раз в неделю"]]

    await harness.press(anna, wizard, "Раз в день")
    assert wizard.text == (
        "Готово! Ваша подписка\n"
        "1. Иркутская область · все разделы · все темы\n"
        "\n"
        "Доставка: ежедневная сводка в 09:00\n"
        "Часовой пояс: Иркутск (UTC+8)\n"
        "Тихие часы: выключены\n"
        "\n" + CHANGE_HINT
    )
    assert wizard.reply_markup is None
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert subscription.mode is DeliveryMode.DAILY
    assert subscription.timezone == "Asia/Irkutsk"
    assert [(rule.regions, rule.sections, rule.topics) for rule in subscription.rules] == [
        (("RU-IRK",), (), ())
    ]
    # Each step edited the one wizard message: the chat holds the welcome and the wizard.
    assert stand.messages_in(chat) == [welcome, wizard]


async def test_deep_links_subscribe_in_one_step_and_my_lists_and_removes_rules(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    boris = stand.user(1002, "Борис")
    chat = stand.private_chat(boris)

    [subscribed] = await harness.send(boris, chat, "/start region-RU-IRK")
    assert subscribed.text == (
        "Вы подписались: Иркутская область · все разделы · все темы\n"
        "\n"
        "Ваша подписка\n"
        "1. Иркутская область · все разделы · все темы\n"
        "\n"
        "Доставка: каждая новость сразу, как выйдет\n"
        "Часовой пояс: Иркутск (UTC+8)\n"
        "Тихие часы: выключены\n"
        "\n" + CHANGE_HINT
    )
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert [(r.regions, r.sections, r.topics) for r in subscription.rules] == [
        (("RU-IRK",), (), ())
    ]
    assert subscription.timezone == "Asia/Irkutsk"
    assert subscription.mode is DeliveryMode.INSTANT

    [second] = await harness.send(boris, chat, "/start section-practice")
    assert (second.text or "").startswith(
        "Вы подписались: любой регион · Лучшие практики ВЭД · все темы\n"
    )
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    irkutsk, practice = subscription.rules
    assert (irkutsk.regions, irkutsk.sections, irkutsk.topics) == (("RU-IRK",), (), ())
    assert (practice.regions, practice.sections, practice.topics) == ((), ("practice",), ())

    # The same link again adds nothing.
    await harness.send(boris, chat, "/start section-practice")
    again = await harness.subscription(chat.id)
    assert again is not None and again.rules == subscription.rules

    [mine] = await harness.send(boris, chat, "/my")
    assert mine.text == (
        "Ваша подписка\n"
        "1. Иркутская область · все разделы · все темы\n"
        "2. любой регион · Лучшие практики ВЭД · все темы\n"
        "\n"
        "Доставка: каждая новость сразу, как выйдет\n"
        "Часовой пояс: Иркутск (UTC+8)\n"
        "Тихие часы: выключены"
    )
    assert mine.button_texts() == [
        ["✏️ Изменить 1", "❌ Удалить 1"],
        ["✏️ Изменить 2", "❌ Удалить 2"],
        ["➕ Добавить правило"],
        ["⚙️ Настройки"],
    ]

    answer = await harness.press(boris, mine, "❌ Удалить 1")
    assert answer.text == "Правило удалено"
    assert (mine.text or "").startswith(
        "Ваша подписка\n1. любой регион · Лучшие практики ВЭД · все темы\n\n"
    )
    assert mine.button_texts()[0] == ["✏️ Изменить 1", "❌ Удалить 1"]
    assert ["✏️ Изменить 2", "❌ Удалить 2"] not in mine.button_texts()
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert subscription.rules == (Rule(practice.id, (), ("practice",), ()),)
