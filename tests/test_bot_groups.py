"""Stories of groups: only administrators change a group's subscription; in a forum each topic
has its own, and the bot answers in the topic it was asked in."""

from __future__ import annotations

from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

REFUSAL = "Менять подписку этого чата могут только его администраторы."


async def test_a_member_who_is_not_an_admin_is_refused_politely_and_changes_nothing(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    pavel = stand.user(2002, "Павел")
    group = stand.group("Экспортёры Приангарья", owner=olga, admins=[olga], members=[pavel])

    [keyboard] = await harness.send(olga, group, "/regions")
    assert (keyboard.text or "").startswith("Выберите регионы.")
    assert keyboard.button_texts()[0] == ["Иркутская область", "Липецкая область"]
    assert keyboard.button_texts()[-1] == ["Готово"]
    before = await harness.subscription(group.id)
    assert before is not None
    assert [rule.regions for rule in before.rules] == [()]

    [refusal] = await harness.send(pavel, group, "/regions")
    assert refusal.text == REFUSAL
    assert refusal.reply_to is not None and refusal.reply_to.sender.id == pavel.id
    assert refusal.reply_markup is None

    shown = (keyboard.text, keyboard.reply_markup)
    answer = await harness.press(pavel, keyboard, "Иркутская область")
    assert (answer.text, answer.show_alert) == (REFUSAL, True)
    assert (keyboard.text, keyboard.reply_markup) == shown
    assert await harness.subscription(group.id) == before
    checked = [
        (int(call.params["chat_id"]), int(call.params["user_id"]))
        for call in stand.calls("getChatMember")
    ]
    assert checked == [(group.id, olga.id), (group.id, pavel.id), (group.id, pavel.id)]

    answer = await harness.press(olga, keyboard, "Иркутская область")
    assert answer.text is None
    assert keyboard.button_texts()[0] == ["✅ Иркутская область", "Липецкая область"]
    after = await harness.subscription(group.id)
    assert after is not None
    assert [rule.regions for rule in after.rules] == [("RU-IRK",)]
    assert after.timezone == "Asia/Irkutsk"

    await harness.press(olga, keyboard, "Готово")
    assert keyboard.text == "Сохранено: Иркутская область · все разделы · все темы"
    assert keyboard.reply_markup is None

    # Reading is open to everyone.
    [latest] = await harness.send(pavel, group, "/latest")
    assert latest.text == "Новостей пока нет. Новые статьи появятся здесь, как только выйдут."


async def test_in_a_forum_each_topic_has_its_own_subscription_and_replies_stay_in_it(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    forum = stand.group("Новости ВЭД", forum=True, owner=olga)
    irkutsk_topic = stand.create_topic(forum, "Иркутск")
    lipetsk_topic = stand.create_topic(forum, "Липецк")

    [subscribed] = await harness.send(olga, forum, "/start region-RU-IRK", thread_id=irkutsk_topic)
    assert subscribed.thread_id == irkutsk_topic
    assert (subscribed.text or "").startswith("Вы подписались: Иркутская область")
    topic_a = await harness.subscription(forum.id, irkutsk_topic)
    assert topic_a is not None
    assert [rule.regions for rule in topic_a.rules] == [("RU-IRK",)]
    assert await harness.subscription(forum.id) is None
    assert await harness.subscription(forum.id, lipetsk_topic) is None

    [nothing] = await harness.send(olga, forum, "/my", thread_id=lipetsk_topic)
    assert nothing.thread_id == lipetsk_topic
    assert nothing.text == "У этого чата нет подписки. Отправьте /start, чтобы её настроить."

    welcome, wizard = await harness.send(olga, forum, "/start", thread_id=lipetsk_topic)
    assert welcome.thread_id == wizard.thread_id == lipetsk_topic
    await harness.press(olga, wizard, "Липецкая область")
    assert wizard.thread_id == lipetsk_topic
    topic_b = await harness.subscription(forum.id, lipetsk_topic)
    assert topic_b is not None
    assert [rule.regions for rule in topic_b.rules] == [("RU-LIP",)]
    assert topic_b.timezone == "Europe/Moscow"
    assert await harness.subscription(forum.id, irkutsk_topic) == topic_a

    [mine] = await harness.send(olga, forum, "/my", thread_id=irkutsk_topic)
    assert mine.thread_id == irkutsk_topic
    assert "1. Иркутская область · все разделы · все темы" in (mine.text or "")
    assert "Липецкая" not in (mine.text or "")
    # Every bot message went to a topic; nothing landed in the forum's general chat.
    assert all(message.thread_id is not None for message in stand.messages_in(forum))
    assert len(stand.messages_in(forum, irkutsk_topic)) == 2
    assert len(stand.messages_in(forum, lipetsk_topic)) == 3
