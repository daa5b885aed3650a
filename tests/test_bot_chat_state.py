"""Stories of chat state: blocking and unblocking the bot, joining and leaving groups, and a
group's upgrade to a supergroup carrying its subscription along."""

from __future__ import annotations

from bot.domain.models import ChatKind
from tests.bot_harness import BotHarness, harness_fixture  # noqa: F401  (the fixture)

GROUP_GREETING = (
    "Здравствуйте! Я присылаю новости промышленности и экспорта из регионов России.\n"
    "Администратор чата может настроить, какие новости сюда приходят: отправьте /start (на"
    " форуме — в той теме, куда нужны новости).\n"
    "Читать новости может любой: /latest и /search; все команды — /help."
)


async def test_a_reader_who_blocks_the_bot_is_inactive_until_unblocking(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    await harness.send(anna, chat, "/start region-RU-IRK")
    sent = len(stand.calls("sendMessage"))

    await harness.act(stand.block_bot(anna))
    blocked = await harness.chat(chat.id)
    assert blocked is not None
    assert (blocked.active, blocked.inactive_reason) == (False, "blocked")
    assert await harness.subscription(chat.id) is not None  # kept for when they come back

    await harness.act(stand.unblock_bot(anna))
    back = await harness.chat(chat.id)
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)
    assert len(stand.calls("sendMessage")) == sent  # the bot wrote nothing on either


async def test_the_bot_greets_a_group_it_joins_and_goes_inactive_when_removed(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    group = stand.group("Экспортёры", owner=olga, bot_member=False)

    await harness.act(stand.add_bot_to_group(group, by=olga))
    [greeting] = stand.messages_in(group)
    assert greeting.text == GROUP_GREETING
    joined = await harness.chat(group.id)
    assert joined is not None
    assert (joined.kind, joined.title, joined.active) == (ChatKind.GROUP, "Экспортёры", True)

    await harness.act(stand.remove_bot_from_group(group, by=olga))
    removed = await harness.chat(group.id)
    assert removed is not None
    assert (removed.active, removed.inactive_reason) == (False, "kicked")
    assert stand.messages_in(group) == [greeting]

    await harness.act(stand.add_bot_to_group(group, by=olga))
    rejoined = await harness.chat(group.id)
    assert rejoined is not None and rejoined.active
    assert len(stand.messages_in(group)) == 2


async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscription(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    olga = stand.user(2001, "Ольга")
    group = stand.group("Экспортёры", owner=olga)
    await harness.send(olga, group, "/start region-RU-IRK")
    before = await harness.subscription(group.id)
    assert before is not None

    supergroup = await stand.migrate_group(group, by=olga)
    await harness.settle()
    moved = await harness.subscription(supergroup.id)
    assert moved is not None
    assert moved.rules == before.rules
    assert (moved.timezone, moved.mode) == (before.timezone, before.mode)
    assert await harness.subscription(group.id) is None
    new_chat = await harness.chat(supergroup.id)
    assert new_chat is not None
    assert (new_chat.kind, new_chat.active) == (ChatKind.SUPERGROUP, True)
    old_chat = await harness.chat(group.id)
    assert old_chat is not None
    assert (old_chat.active, old_chat.inactive_reason) == (False, "migrated")

    [mine] = await harness.send(olga, supergroup, "/my")
    assert "1. Иркутская область · все разделы · все темы" in (mine.text or "")
