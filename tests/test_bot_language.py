"""Stories of language: an English-speaking reader is answered in English until /lang switches
to Russian; the command menus exist for private chats and groups in both languages."""

from __future__ import annotations

from aiogram.types import BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

PRIVATE_MENU_RU = {
    "start": "настроить, какие новости получать",
    "latest": "свежие новости, можно по региону",
    "search": "найти статьи по словам",
    "my": "ваша подписка и её правила",
    "regions": "выбрать регионы",
    "sections": "выбрать разделы",
    "topics": "выбрать темы",
    "settings": "режим доставки, время, часовой пояс, тихие часы",
    "pause": "приостановить доставку",
    "resume": "возобновить доставку",
    "stop": "отписаться от всего",
    "lang": "язык интерфейса",
    "help": "что умеет бот",
}
PRIVATE_MENU_EN = {
    "start": "set up the news you receive",
    "latest": "the newest news, optionally for a region",
    "search": "find articles by words",
    "my": "your subscription and its rules",
    "regions": "choose regions",
    "sections": "choose sections",
    "topics": "choose topics",
    "settings": "delivery mode, time, time zone, quiet hours",
    "pause": "pause delivery",
    "resume": "resume delivery",
    "stop": "unsubscribe from everything",
    "lang": "interface language",
    "help": "what the bot can do",
}
GROUP_COMMANDS = ["start", "latest", "search", "my", "settings", "help"]


async def test_an_english_speaking_reader_gets_english_until_switching_to_russian(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    john = stand.user(1003, "John", language_code="en-GB")
    chat = stand.private_chat(john)

    welcome, wizard = await harness.send(john, chat, "/start")
    assert welcome.text == (
        "Hello! I deliver industry and export news from Russia's regions.\n"
        "Pick the regions, sections and topics you follow, and I will send new articles here as"
        " they appear or as a daily or weekly digest.\n"
        "/latest shows the newest news, /search finds articles, /help lists everything."
    )
    assert (wizard.text or "").startswith("Step 1 of 4\nChoose regions.")
    assert wizard.button_texts()[:2] == [
        ["Irkutsk Oblast", "Lipetsk Oblast"],
        ["Central FD", "Northwestern FD"],
    ]
    assert wizard.button_texts()[-2:] == [["✅ Any region"], ["Next ➡️"]]
    await harness.press(john, wizard, "Irkutsk Oblast")
    assert wizard.button_texts()[0] == ["✅ Irkutsk Oblast", "Lipetsk Oblast"]
    known = await harness.chat(chat.id)
    assert known is not None and known.language == "en"

    [choose] = await harness.send(john, chat, "/lang")
    assert choose.text == "Choose the language:"
    assert choose.button_texts() == [["Русский", "✅ English"]]
    answer = await harness.press(john, choose, "Русский")
    assert answer.text is None
    assert choose.text == "Язык: Русский."
    assert choose.reply_markup is None
    known = await harness.chat(chat.id)
    assert known is not None and known.language == "ru"

    [help_text] = await harness.send(john, chat, "/help")
    assert (help_text.text or "").startswith("Что я умею\n/start — настроить, какие новости")
    [mine] = await harness.send(john, chat, "/my")
    assert "1. Иркутская область · все разделы · все темы" in (mine.text or "")

    # …and back: the choice is the chat's, whatever the Telegram client's language.
    [choose] = await harness.send(john, chat, "/lang")
    assert choose.button_texts() == [["✅ Русский", "English"]]
    await harness.press(john, choose, "English")
    assert choose.text == "Language: English."
    [mine] = await harness.send(john, chat, "/my")
    assert (mine.text or "").startswith(
        "Your subscription\n1. Irkutsk Oblast · all sections · all topics"
    )


async def test_a_reader_in_another_language_is_answered_in_russian(harness: BotHarness) -> None:
    stand = harness.stand
    hans = stand.user(1004, "Hans", language_code="de")
    chat = stand.private_chat(hans)
    [hint] = await harness.send(hans, chat, "hallo")
    assert (hint.text or "").startswith("Я понимаю команды.")


async def test_the_command_menus_are_set_for_private_chats_and_groups_in_both_languages(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    private, groups = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()

    def menu(
        scope: BotCommandScopeAllPrivateChats | BotCommandScopeAllGroupChats, code: str
    ) -> dict[str, str]:
        return {c.command: c.description for c in stand.commands(scope, language_code=code)}

    assert menu(private, "ru") == PRIVATE_MENU_RU
    assert menu(private, "en") == PRIVATE_MENU_EN
    assert menu(private, "") == PRIVATE_MENU_RU  # every other language gets Russian
    assert [c.command for c in stand.commands(private, language_code="ru")] == list(
        PRIVATE_MENU_RU
    )
    for code, names in (("ru", PRIVATE_MENU_RU), ("en", PRIVATE_MENU_EN), ("", PRIVATE_MENU_RU)):
        assert menu(groups, code) == {command: names[command] for command in GROUP_COMMANDS}
    assert len(stand.calls("setMyCommands")) == 6
