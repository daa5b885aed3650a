"""Stories of bad input: whatever a reader sends gets a clear answer (never silence in a private
chat), and nothing in the database changes."""

from __future__ import annotations

from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

HINT = (
    "Я понимаю команды. Отправьте /latest, чтобы увидеть свежие новости, или /search и"
    " несколько слов.\n"
    "Чтобы выбрать, какие новости получать, отправьте /start; все команды — /help."
)


async def test_unknown_commands_and_plain_text_get_an_answer_and_store_nothing(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)

    [unknown] = await harness.send(anna, chat, "/subscribe Иркутск")
    assert unknown.text == (
        "Неизвестная команда: /subscribe\nОтправьте /help, чтобы узнать, что я умею."
    )
    assert {"type": "code", "offset": 21, "length": 10} in unknown.entities
    [hint] = await harness.send(anna, chat, "Привет! Что нового в Иркутске?")
    assert hint.text == HINT
    [hint] = await harness.send(anna, chat, "<b>&amp;</b>")
    assert hint.text == HINT
    assert await harness.chat(chat.id) is None
    assert await harness.subscription(chat.id) is None

    [help_text] = await harness.send(anna, chat, "/help")
    assert (help_text.text or "").startswith("Что я умею\n")
    assert "/stop — отписаться от всего" in (help_text.text or "")


async def test_a_bad_search_gets_a_clear_answer(harness: BotHarness) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)

    [too_long] = await harness.send(anna, chat, "/search " + "золото " * 40)
    assert too_long.text == "Слишком длинный запрос: не больше 200 символов."
    [no_words] = await harness.send(anna, chat, "/search !!! ??? ...")
    assert no_words.text == "В запросе нет слов, которые можно искать."
    # Markup and full-text syntax are words to look for (all of them), and quoted as text.
    [markup] = await harness.send(anna, chat, '/search <b>"золото" & OR NEAR(')
    assert markup.text == 'По запросу «<b>"золото" & OR NEAR(» ничего не найдено.'
    [nothing] = await harness.send(anna, chat, "/search <i>платина</i>")
    assert nothing.text == "По запросу «<i>платина</i>» ничего не найдено."
    assert await harness.chat(chat.id) is None


async def test_a_long_unknown_region_is_quoted_short(harness: BotHarness) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    [unknown] = await harness.send(anna, chat, "/latest " + "Тридевятое царство " * 30)
    first_line = (unknown.text or "").split("\n")[0]
    assert first_line.startswith("Регион «Тридевятое царство Тридевятое")
    assert first_line.endswith("…» не найден.")
    assert len(first_line) < 100
    assert await harness.chat(chat.id) is None


async def test_a_wrong_deep_link_is_explained_and_subscribes_nobody(harness: BotHarness) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    wrong = "Ссылка устарела или неверна. Отправьте /start, чтобы настроить подписку."
    for payload in (
        "region-RU-XXX",
        "section-nonsense",
        "topic-",
        "promo2024",
        "region-" + "RU-IRK" * 12,  # longer than Telegram's 64 characters
    ):
        [answer] = await harness.send(anna, chat, f"/start {payload}")
        assert answer.text == wrong, payload
        assert await harness.subscription(chat.id) is None, payload


async def test_in_a_group_the_bot_speaks_only_when_spoken_to(harness: BotHarness) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    group = stand.group("Экспортёры", owner=olga)

    assert await harness.send(olga, group, "Коллеги, всем привет") == []
    assert await harness.send(olga, group, "/weather") == []  # maybe another bot's command
    [hint] = await harness.send(olga, group, "@regionews_test_bot что нового?")
    assert hint.text == HINT
    [unknown] = await harness.send(olga, group, "/weather@regionews_test_bot")
    assert (unknown.text or "").startswith("Неизвестная команда: /weather\n")
