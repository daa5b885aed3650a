"""Channels, as the bot's owner links and sets them up through the running bot and the
strict fake Bot API: rights checked with getChatMember and the missing one named, a
stranger refused, settings in one line each, and a channel that loses its right paused with
the admins told through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.types import ChatMemberAdministrator, ChatMemberMember, ChatMemberOwner, User
from aiogram.utils.i18n import I18n

from bot.delivery.channels import MissingRight, missing_right, posting_refused
from bot.domain.channels import ChannelMode
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, story_key
from bot.telegram.i18n import build_i18n
from handlers.channels import error_text
from storage import channels as channel_units
from storage.outbox import claim_due, counts, enqueue
from tests.bot_harness import BAM, NOW, OWNER_ID, BotHarness, owner, say
from tests.telegram_stand import Person, StandChat
from tests.telegram_stand.html_rules import parse_html
from tests.telegram_stand.models import MemberStatus


async def forward(
    harness: BotHarness, person: Person, channel: StandChat, chat: StandChat
) -> None:
    """``person`` forwards a post of ``channel`` to the bot; wait until it is handled."""
    await person.forward_channel_post(channel, chat)
    await harness.settle()


async def test_the_owner_links_a_channel_by_its_username(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    channel = owned_bot.stand.channel("Промышленность <Приангарья>", username="irk_industry")

    linked = await say(owned_bot, olga, chat, "/channel_add @IRK_industry")

    assert linked.split("\n")[:6] == [
        "✅ Канал «Промышленность <Приангарья>» подключён.",
        "Промышленность <Приангарья> (@irk_industry)",
        "Режим: каждую статью сразу",
        "Часовой пояс: не выбран (используется московское время)",
        "Правила: любой регион · все разделы · все темы",
        "Публикую.",
    ]
    stored = await owned_bot.runtime.channels.find("@irk_industry")
    assert (stored.chat_id, stored.linked_by, stored.paused) == (channel.id, OWNER_ID, False)
    listing = await say(owned_bot, olga, chat, "/channels")
    assert listing.startswith("Подключённые каналы\n\nПромышленность <Приангарья> (@irk_industry)")


async def test_a_forwarded_post_links_its_channel(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    channel = owned_bot.stand.channel("Закрытый канал")  # no username: forwarding is the way

    await forward(owned_bot, olga, channel, chat)

    [answer] = owned_bot.stand.messages_in(chat)
    assert answer.text is not None
    assert answer.text.startswith("✅ Канал «Закрытый канал» подключён.")
    assert (await owned_bot.runtime.channels.find(str(channel.id))).title == "Закрытый канал"


async def test_a_missing_right_is_named(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.channel("Без прав", username="no_rights", bot_admin=False)
    owned_bot.stand.group("Группа", supergroup=True, username="a_group")

    assert await say(owned_bot, olga, chat, "/channel_add @no_rights") == (
        "Я не администратор «Без прав». Назначьте меня администратором с правом «Публикация"
        " сообщений (can_post_messages)» и отправьте команду ещё раз."
    )
    assert await say(owned_bot, olga, chat, "/channel_add @a_group") == (
        "«Группа» — не канал и не группа с темами: подключить можно только их."
    )
    assert await say(owned_bot, olga, chat, "/channel_add @nowhere") == (
        "Не нахожу канал @nowhere. Проверьте имя или перешлите мне пост из канала."
    )
    assert await say(owned_bot, olga, chat, "/channel_add") == (
        "Отправьте /channel_add @имя_канала или перешлите мне пост из канала."
    )
    assert await owned_bot.runtime.channels.channels() == []


async def test_anyone_else_is_refused(owned_bot: BotHarness) -> None:
    ivan = owned_bot.stand.user(1002, "Иван")
    chat = owned_bot.stand.private_chat(ivan)
    channel = owned_bot.stand.channel("Канал", username="irk_industry")

    for command in ("/channel_add @irk_industry", "/channels", "/channel_mode @x instant"):
        answer = await say(owned_bot, ivan, chat, command)
        assert answer.startswith("Неизвестная команда: /channel")
    await forward(owned_bot, ivan, channel, chat)
    assert await owned_bot.runtime.channels.channels() == []


async def test_mode_rules_and_signature_are_set_in_one_line_each(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.channel("Промышленность Приангарья", username="irk_industry")
    await say(owned_bot, olga, chat, "/channel_add @irk_industry")

    assert await say(owned_bot, olga, chat, "/channel_rules @irk_industry RU-IRK regional") == (
        "«Промышленность Приангарья» теперь получает: Иркутская область · Региональные новости"
        " · все темы."
    )
    assert await say(
        owned_bot, olga, chat, "/channel_mode @irk_industry batched 18:00,9:00,13:00 gap 1h"
    ) == (
        "«Промышленность Приангарья»: публикую подборками в 09:00, 13:00, 18:00, не чаще раза"
        " в 1h."
    )
    assert await say(owned_bot, olga, chat, "/channel_signature @irk_industry  @irk <b>") == (
        "Посты в «Промышленность Приангарья» подписаны: @irk <b>"
    )
    channel = await owned_bot.runtime.channels.find("@irk_industry")
    assert channel.mode is ChannelMode.BATCHED
    assert channel.slots == ("09:00", "13:00", "18:00")
    assert channel.min_gap_seconds == 3600
    assert channel.timezone == "Asia/Irkutsk"  # the first region's, as none was set
    assert channel.signature == "@irk <b>"
    # 06:00 UTC is 14:00 in Irkutsk: the next batch is at 18:00 there, 10:00 UTC
    assert owned_bot.runtime.channels.next_post_at(channel, NOW) == NOW + timedelta(hours=4)

    listing = await say(owned_bot, olga, chat, "/channels")
    assert "Режим: подборками в 09:00, 13:00, 18:00, не чаще раза в 1h" in listing
    assert "Подпись: @irk <b>" in listing

    assert await say(owned_bot, olga, chat, "/channel_mode @irk_industry instant tz Europe/Moscow")
    channel = await owned_bot.runtime.channels.find("@irk_industry")
    assert (channel.mode, channel.slots, channel.timezone) == (
        ChannelMode.INSTANT,
        (),
        "Europe/Moscow",
    )


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/channel_mode", "Напишите так: /channel_mode @канал instant"),
        ("/channel_mode @irk_industry weekly", "Напишите так: /channel_mode @канал instant"),
        ("/channel_mode @irk_industry batched 25:00", "«25:00» — не список времён"),
        ("/channel_mode @irk_industry instant gap soon", "«soon» — не промежуток времени"),
        ("/channel_mode @irk_industry instant gap 2d", "Промежуток между постами — не больше"),
        ("/channel_mode @irk_industry instant tz Mars/Base", "«Mars/Base» — не часовой пояс"),
        ("/channel_mode @irk_industry instant tz ../../etc/passwd", "«../../etc/passwd» — не"),
        ("/channel_mode @elsewhere instant", "Канал @elsewhere не подключён."),
        ("/channel_rules @irk_industry RU-IRK nonsense", "Не знаю «nonsense». Регионы — коды"),
        ("/channel_rules irk_industry", "Напишите так: /channel_rules @канал RU-IRK"),
        ("/channel_signature", "Напишите так: /channel_signature @канал текст"),
    ],
)
async def test_each_mistake_answers_in_one_line(
    owned_bot: BotHarness, command: str, answer: str
) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.channel("Канал", username="irk_industry")
    await say(owned_bot, olga, chat, "/channel_add @irk_industry")

    reply = await say(owned_bot, olga, chat, command)

    assert reply.startswith(answer)
    assert "\n" not in reply


async def test_losing_the_right_pauses_the_channel_and_tells_the_admins(
    owned_bot: BotHarness,
) -> None:
    olga, chat = owner(owned_bot)
    await owned_bot.send(olga, chat, "/start")  # the bot knows the owner's chat
    channel = owned_bot.stand.channel("Канал <&>", username="irk_industry")
    await say(owned_bot, olga, chat, "/channel_add @irk_industry")
    database = owned_bot.runtime.ingest.database
    post = PlannedDelivery(
        chat_id=channel.id,
        kind=DeliveryKind.ARTICLE,
        dedupe_key=story_key(1),
        priority=Priority.CHANNEL,
        due_at=NOW + timedelta(hours=1),
    )
    await database.write(lambda connection: enqueue(connection, [post], now=NOW))
    service = owned_bot.runtime.channels
    reason = "Bad Request: need administrator rights in the channel chat"

    assert await service.pause(channel.id, reason) is True
    assert await service.pause(channel.id, reason) is False  # the admins are told once

    assert (await service.find("@irk_industry")).paused
    found = await database.read(counts)
    assert found["cancelled"] == 1
    [notice] = await database.write(
        lambda connection: claim_due(connection, now=NOW + timedelta(hours=2), limit=10)
    )
    assert (notice.chat_id, notice.kind, notice.priority) == (
        OWNER_ID,
        DeliveryKind.BROADCAST,
        Priority.URGENT,
    )
    assert notice.body is not None
    assert parse_html(notice.body).text == (
        "⏸ Публикация в Канал <&> приостановлена.\n"
        f"Ответ Telegram: {reason}\n"
        "Дайте боту право публиковать там сообщения и отправьте /channel_add @irk_industry."
    )
    assert f"Приостановлен: {reason}" in await say(owned_bot, olga, chat, "/channels")
    subscription = await owned_bot.subscription(channel.id)
    assert subscription is not None and subscription.paused  # nothing more is planned

    await say(owned_bot, olga, chat, "/channel_add @irk_industry")  # the right is back
    assert not (await service.find("@irk_industry")).paused
    subscription = await owned_bot.subscription(channel.id)
    assert subscription is not None and not subscription.paused


async def test_posts_move_the_gap_forward(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    channel = owned_bot.stand.channel("Канал", username="irk_industry")
    await say(owned_bot, olga, chat, "/channel_add @irk_industry")
    await say(owned_bot, olga, chat, "/channel_mode @irk_industry instant gap 15m")
    service = owned_bot.runtime.channels

    await service.posted(channel.id, NOW)
    await service.posted(channel.id, NOW - timedelta(minutes=5))  # a late report: ignored

    linked = await service.find("@irk_industry")
    assert linked.last_post_at == NOW
    assert service.next_post_at(linked, NOW) == NOW + timedelta(minutes=15)
    database = owned_bot.runtime.ingest.database
    assert (
        await database.read(
            lambda connection: channel_units.find_channel(connection, "IRK_INDUSTRY")
        )
        == linked
    )


BOT = User(id=7000000001, is_bot=True, first_name="bot")


def admin(*, can_post_messages: bool | None) -> ChatMemberAdministrator:
    return ChatMemberAdministrator(
        user=BOT,
        can_be_edited=False,
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=False,
        can_restrict_members=False,
        can_promote_members=False,
        can_change_info=False,
        can_invite_users=False,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
        can_send_welcome_messages=False,
        can_post_messages=can_post_messages,
    )


@pytest.mark.parametrize(
    ("member", "missing"),
    [
        (admin(can_post_messages=True), None),
        (admin(can_post_messages=False), "can_post_messages"),
        (admin(can_post_messages=None), "can_post_messages"),
        (ChatMemberMember(user=BOT), "administrator"),
        (ChatMemberOwner(user=BOT, is_anonymous=False), None),
    ],
)
def test_what_the_bot_lacks_to_post(member: object, missing: str | None) -> None:
    assert missing_right(member) == missing  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "ru",
            "Я администратор «Канал», но без права «Публикация сообщений (can_post_messages)»."
            " Дайте мне это право и отправьте команду ещё раз.",
        ),
        (
            "en",
            "I am an administrator of «Канал» but lack the right «Post messages"
            " (can_post_messages)». Give me that right and send the command again.",
        ),
    ],
)
def test_a_missing_right_in_words(language: str, text: str) -> None:
    i18n: I18n = build_i18n()
    with i18n.context(), i18n.use_locale(language):
        assert error_text(MissingRight("@c", "Канал", "can_post_messages")) == text


@pytest.mark.parametrize(
    ("description", "refused"),
    [
        ("Bad Request: need administrator rights in the channel chat", True),
        ("Bad Request: not enough rights to send text messages to the chat", True),
        ("Forbidden: bot is not a member of the channel chat", True),
        ("Forbidden: bot was kicked from the channel chat", True),
        ("Bad Request: CHAT_WRITE_FORBIDDEN", True),
        ("Bad Request: CHAT_ADMIN_REQUIRED", True),
        ("Bad Request: can't parse entities: unexpected end tag", False),
        ("Bad Request: message is too long", False),
        ("Bad Request: wrong file identifier/HTTP URL specified", False),
        ("Too Many Requests: retry after 5", False),
    ],
)
def test_which_refusals_mean_the_right_is_gone(description: str, refused: bool) -> None:
    assert posting_refused(description) is refused


async def test_a_batched_channel_gets_its_card_at_its_slot(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    channel = owned_bot.stand.channel("Промышленность Приангарья", username="irk_industry")
    await owned_bot.seed_articles()  # the sources' first fetch: old news, pushed to nobody
    for command in (
        "/channel_add @irk_industry",
        "/channel_rules @irk_industry RU-IRK",
        "/channel_mode @irk_industry batched 09:00,18:00",
        "/channel_signature @irk_industry Подписывайтесь: @irk_industry",
    ):
        await say(owned_bot, olga, chat, command)

    owned_bot.clock.advance(timedelta(minutes=30))  # 14:30 in Irkutsk
    assert (await owned_bot.seed_articles([BAM])).planned_deliveries == 1
    await owned_bot.runtime.sender.run_once()
    assert owned_bot.stand.messages_in(channel) == []  # it waits for 18:00 in Irkutsk

    owned_bot.clock.set(datetime(2024, 6, 10, 10, 0, tzinfo=UTC))  # 18:00 in Irkutsk
    await owned_bot.runtime.sender.run_once()
    [post] = owned_bot.stand.messages_in(channel)
    lines = (post.text or "").split("\n")
    assert lines[:2] == [BAM.title, "#Иркутская_область #Региональные_новости"]
    assert lines[-1] == "Подписывайтесь: @irk_industry"
    assert lines[-2].endswith(" · 10.06.2024 14:20")  # published, on Irkutsk's clock


async def test_a_post_refused_for_a_lost_right_pauses_the_channel_through_the_sender(
    owned_bot: BotHarness,
) -> None:
    olga, chat = owner(owned_bot)
    await owned_bot.send(olga, chat, "/start")  # the bot knows the owner's chat
    channel = owned_bot.stand.channel("Промышленность Приангарья", username="irk_industry")
    await owned_bot.seed_articles()  # the sources' first fetch: old news, pushed to nobody
    for command in ("/channel_add @irk_industry", "/channel_rules @irk_industry RU-IRK"):
        await say(owned_bot, olga, chat, command)
    channel.bot_status = MemberStatus.MEMBER  # an admin of the channel took the bot's right

    # the channel, and the owner's own chat (its /start subscribed it to any region)
    assert (await owned_bot.seed_articles([BAM])).planned_deliveries == 2
    await owned_bot.runtime.sender.run_once()  # the channel's post: 400, need admin rights
    assert owned_bot.stand.messages_in(channel) == []
    assert (await owned_bot.runtime.channels.find("@irk_industry")).paused
    database = owned_bot.runtime.ingest.database
    found = await database.read(counts)
    waiting = await database.write(
        lambda connection: claim_due(connection, now=NOW + timedelta(hours=2), limit=10)
    )
    [notice] = [item for item in waiting if item.priority is Priority.URGENT]
    assert (notice.chat_id, notice.kind) == (OWNER_ID, DeliveryKind.BROADCAST)
    assert notice.body is not None
    assert parse_html(notice.body).text.startswith("⏸ Публикация в Промышленность Приангарья")
    assert found["failed"] == 1  # that post, with Telegram's reason; the chat stays known
