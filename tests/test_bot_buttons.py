"""Stories of buttons that no longer apply: an old wizard after /stop, a double tap, and
callback data that was tampered with. Each press gets exactly one answer; nothing changes."""

from __future__ import annotations

from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

STALE = "Эта кнопка устарела. Отправьте команду ещё раз."
NO_SUBSCRIPTION = "У этого чата нет подписки. Отправьте /start, чтобы её настроить."


async def test_an_old_wizard_after_stop_answers_gracefully_and_subscribes_nobody(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    _welcome, wizard = await harness.send(anna, chat, "/start")
    await harness.press(anna, wizard, "Иркутская область")

    [confirm] = await harness.send(anna, chat, "/stop")
    assert confirm.text == "Отписаться от всех новостей здесь? Правила и настройки будут удалены."
    assert confirm.button_texts() == [["Да, отписаться", "Отмена"]]
    await harness.press(anna, confirm, "Да, отписаться")
    assert confirm.text == "Вы отписались. Чтобы подписаться снова, отправьте /start."
    assert confirm.reply_markup is None
    assert await harness.subscription(chat.id) is None

    shown = (wizard.text, wizard.reply_markup)
    for button in ("Липецкая область", "✅ Иркутская область", "Далее ➡️", "Центральный ФО"):
        answer = await harness.press(anna, wizard, button)
        assert (answer.text, answer.show_alert) == (NO_SUBSCRIPTION, True), button
    assert (wizard.text, wizard.reply_markup) == shown
    assert await harness.subscription(chat.id) is None

    [nothing] = await harness.send(anna, chat, "/stop")
    assert nothing.text == NO_SUBSCRIPTION


async def test_cancel_keeps_the_subscription(harness: BotHarness) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    await harness.send(anna, chat, "/start region-RU-IRK")
    before = await harness.subscription(chat.id)
    [confirm] = await harness.send(anna, chat, "/stop")
    await harness.press(anna, confirm, "Отмена")
    assert confirm.text == "Хорошо, подписка остаётся как была."
    assert await harness.subscription(chat.id) == before


async def test_a_double_tap_leaves_the_same_state_and_each_press_is_answered_once(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    _welcome, wizard = await harness.send(anna, chat, "/start")

    # Both taps reach the bot before it redraws the keyboard.
    taps = [await anna.press(wizard, button="Иркутская область") for _ in range(2)]
    await harness.settle()
    assert [stand.answer_for(tap) is not None for tap in taps] == [True, True]
    assert len(stand.callback_answers) == 2
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert [rule.regions for rule in subscription.rules] == [("RU-IRK",)]
    assert wizard.button_texts()[0] == ["✅ Иркутская область", "Липецкая область"]

    taps = [await anna.press(wizard, button="✅ Иркутская область") for _ in range(2)]
    await harness.settle()
    assert all(stand.answer_for(tap) is not None for tap in taps)
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert [rule.regions for rule in subscription.rules] == [()]
    assert wizard.button_texts()[0] == ["Иркутская область", "Липецкая область"]

    # ➕ twice adds one rule, not two.
    [mine] = await harness.send(anna, chat, "/my")
    taps = [await anna.press(mine, button="➕ Добавить правило") for _ in range(2)]
    await harness.settle()
    answers = [stand.answer_for(tap) for tap in taps]
    assert {answer.text if answer else "unanswered" for answer in answers} == {None, STALE}
    subscription = await harness.subscription(chat.id)
    assert subscription is not None
    assert len(subscription.rules) == 2
    assert (mine.text or "").startswith("Выберите регионы.")  # the new rule's first step
    assert len(stand.callback_answers) == 6


TAMPERED = (
    "tg:r:RU-XXX:1:0:o:{rule}",  # a region that does not exist
    "tg:s:no-such-section:1:0:o:{rule}",  # a section that does not exist
    "tg:r:RU-IRK:1:0:o:999999",  # a rule that is not the one being edited
    "tg:r:RU-IRK:maybe:0:o:{rule}",  # not a boolean
    "tg:r:<b>:1:0:o:{rule}",  # not a slug
    "tg:r:RU-IRK:1:0:o",  # a field missing
    "tg:r:RU-IRK:1:0:o:{rule}:x",  # a field too many
    "tg:q:RU-IRK:1:0:o:{rule}",  # no such part
    "pg:r:42:o",  # a district page that does not exist
    "any:r:0:o:999999",
    "nx:r:z",
    "wm:hourly",
    "rl:rm:999999",  # a rule that does not exist
    "rl:ed:999999",
    "rl:add:7",  # ➕ under a list of 7 rules
    "st:tz:Mars/Olympus",
    "st:time:2500",
    "st:quiet:0100-0200",  # not one of the presets
    "st:menu:secret",
    "lg:de",
    "sp:maybe",
    "lt:0:RU-XXX",
    "lt:-5:",
    "sm:x",
    "zz:whatever",
    "tg",
)


async def test_tampered_callback_data_is_out_of_date_and_changes_nothing(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    _welcome, wizard = await harness.send(anna, chat, "/start")
    await harness.press(anna, wizard, "Иркутская область")
    before = await harness.subscription(chat.id)
    assert before is not None and before.current_rule_id is not None
    shown = (wizard.text, wizard.edit_date)
    sent = len(stand.messages_in(chat))

    for number, pattern in enumerate(TAMPERED):
        data = pattern.format(rule=before.current_rule_id)
        harness.forge_button(wizard, f"🤖 {number}", data)
        answer = await harness.press(anna, wizard, f"🤖 {number}")
        assert (answer.text, answer.show_alert) == (STALE, False), data
        assert await harness.subscription(chat.id) == before, data
        assert (wizard.text, wizard.edit_date) == shown, data
        assert len(stand.messages_in(chat)) == sent, data
    known = await harness.chat(chat.id)
    assert known is not None and known.language == "ru"
