"""A forum supergroup as an auto-post target, as the bot's owner links it through the
running bot and the strict fake Bot API: linked by @username with the group's rights check,
its topic set with /channel_topic, and an Irkutsk article planned and sent lands in that
topic. Plain groups, topics for channels and strangers are refused in one line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.types import (
    AcceptedGiftTypes,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatPermissions,
    User,
)
from aiogram.utils.i18n import I18n

from bot.delivery.channels import (
    BotNotMember,
    ChannelError,
    MissingRight,
    NotAChannel,
    NoTopics,
    missing_group_right,
)
from bot.telegram.i18n import build_i18n
from handlers.channels import error_text
from storage.outbox import counts
from tests.bot_harness import BAM, BotHarness, owner, say
from tests.telegram_stand.models import MemberStatus


async def test_an_article_lands_in_the_forum_groups_topic(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    forum = owned_bot.stand.group(
        "ТПП Восточной Сибири", forum=True, owner=olga, username="irk_chamber"
    )
    news = owned_bot.stand.create_topic(forum, "Новости")
    owned_bot.stand.create_topic(forum, "Болталка")
    await owned_bot.seed_articles()  # the sources' first fetch: old news, pushed to nobody

    linked = await say(owned_bot, olga, chat, "/channel_add @irk_chamber")
    assert linked.split("\n")[:3] == [
        "✅ Группа «ТПП Восточной Сибири» подключена.",
        "ТПП Восточной Сибири (@irk_chamber)",
        "Режим: каждую статью сразу",
    ]
    assert "Группа с темами, тема: общая (выберите тему командой /channel_topic)" in linked
    assert linked.endswith(
        "Выберите тему командой /channel_topic @irk_chamber НОМЕР_ТЕМЫ (число в конце ссылки на"
        " тему), правила — командой /channel_rules @irk_chamber RU-IRK."
    )
    await say(owned_bot, olga, chat, "/channel_rules @irk_chamber RU-IRK")
    assert await say(owned_bot, olga, chat, f"/channel_topic @irk_chamber {news}") == (
        f"Посты в «ТПП Восточной Сибири» идут в тему № {news}."
    )
    stored = await owned_bot.runtime.channels.find("@irk_chamber")
    assert (stored.chat_id, stored.forum, stored.thread_id) == (forum.id, True, news)
    assert (await owned_bot.chat(forum.id)) is not None
    listing = await say(owned_bot, olga, chat, "/channels")
    assert f"Группа с темами, тема: № {news}" in listing

    owned_bot.clock.advance(timedelta(minutes=30))
    assert (await owned_bot.seed_articles([BAM])).planned_deliveries == 1
    await owned_bot.runtime.sender.run_once()

    [post] = owned_bot.stand.messages_in(forum)  # one post in the whole group …
    assert post.thread_id == news  # … in its «Новости» topic
    assert (post.text or "").split("\n")[0] == BAM.title
    assert (await owned_bot.runtime.ingest.database.read(counts))["sent"] == 1


async def test_clearing_the_topic_posts_to_the_general_one(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    forum = owned_bot.stand.group("Палата", forum=True, username="chamber")
    news = owned_bot.stand.create_topic(forum, "Новости")
    await owned_bot.seed_articles()
    for command in ("/channel_add @chamber", f"/channel_topic @chamber {news}"):
        await say(owned_bot, olga, chat, command)

    assert await say(owned_bot, olga, chat, "/channel_topic @chamber -") == (
        "Посты в «Палата» идут в общую тему."
    )
    assert (await owned_bot.runtime.channels.find("@chamber")).thread_id == 0

    owned_bot.clock.advance(timedelta(minutes=30))
    assert (await owned_bot.seed_articles([BAM])).planned_deliveries == 1
    await owned_bot.runtime.sender.run_once()
    [post] = owned_bot.stand.messages_in(forum)
    assert post.thread_id is None


async def test_groups_without_topics_are_refused(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.group("Обычная группа", username="plain_group")
    owned_bot.stand.group("Супергруппа", supergroup=True, username="super_group")

    for handle, title in (("@plain_group", "Обычная группа"), ("@super_group", "Супергруппа")):
        assert await say(owned_bot, olga, chat, f"/channel_add {handle}") == (
            f"«{title}» — не канал и не группа с темами: подключить можно только их."
        )
    assert await owned_bot.runtime.channels.channels() == []


async def test_a_forum_group_the_bot_left_is_refused(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    forum = owned_bot.stand.group("Палата", forum=True, username="chamber")
    forum.bot_status = forum.bot_status.LEFT  # someone removed the bot from the group

    answer = await say(owned_bot, olga, chat, "/channel_add @chamber")

    # Telegram does not show a group to a bot outside it: getChat says «chat not found»
    assert answer == "Не нахожу канал @chamber. Проверьте имя или перешлите мне пост из канала."
    assert await owned_bot.runtime.channels.channels() == []


async def test_a_topic_for_a_channel_is_refused(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.channel("Промышленность Приангарья", username="irk_industry")
    await say(owned_bot, olga, chat, "/channel_add @irk_industry")

    assert await say(owned_bot, olga, chat, "/channel_topic @irk_industry 5") == (
        "«Промышленность Приангарья» — канал, а у каналов нет тем."
    )
    assert (await owned_bot.runtime.channels.find("@irk_industry")).thread_id == 0


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/channel_topic", "Напишите так: /channel_topic @группа НОМЕР_ТЕМЫ"),
        ("/channel_topic @chamber", "Напишите так: /channel_topic @группа НОМЕР_ТЕМЫ"),
        ("/channel_topic @chamber 5 6", "Напишите так: /channel_topic @группа НОМЕР_ТЕМЫ"),
        ("/channel_topic @chamber news", "«news» — не номер темы; это число в конце ссылки"),
        ("/channel_topic @chamber 0", "«0» — не номер темы"),
        ("/channel_topic @elsewhere 5", "Канал @elsewhere не подключён"),
    ],
)
async def test_each_topic_mistake_answers_in_one_line(
    owned_bot: BotHarness, command: str, answer: str
) -> None:
    olga, chat = owner(owned_bot)
    owned_bot.stand.group("Палата", forum=True, username="chamber")
    await say(owned_bot, olga, chat, "/channel_add @chamber")

    reply = await say(owned_bot, olga, chat, command)

    assert reply.startswith(answer)
    assert "\n" not in reply
    assert (await owned_bot.runtime.channels.find("@chamber")).thread_id == 0


async def test_anyone_else_may_not_set_a_topic(owned_bot: BotHarness) -> None:
    olga, chat = owner(owned_bot)
    forum = owned_bot.stand.group("Палата", forum=True, username="chamber")
    news = owned_bot.stand.create_topic(forum, "Новости")
    await say(owned_bot, olga, chat, "/channel_add @chamber")
    ivan = owned_bot.stand.user(1002, "Иван")

    answer = await say(
        owned_bot, ivan, owned_bot.stand.private_chat(ivan), f"/channel_topic @chamber {news}"
    )

    assert answer.startswith("Неизвестная команда: /channel_topic")
    assert (await owned_bot.runtime.channels.find("@chamber")).thread_id == 0


BOT = User(id=7000000001, is_bot=True, first_name="bot")
GROUP = ChatFullInfo(
    id=-1001,
    type="supergroup",
    is_forum=True,
    accent_color_id=0,
    max_reaction_count=11,
    accepted_gift_types=AcceptedGiftTypes(
        unlimited_gifts=False,
        limited_gifts=False,
        unique_gifts=False,
        premium_subscription=False,
        gifts_from_channels=False,
    ),
)
MUTED_GROUP = GROUP.model_copy(update={"permissions": ChatPermissions(can_send_messages=False)})


RESTRICTED_RIGHTS = (
    "can_send_audios can_send_documents can_send_photos can_send_videos can_send_video_notes"
    " can_send_voice_notes can_send_polls can_send_other_messages can_add_web_page_previews"
    " can_change_info can_invite_users can_pin_messages can_manage_topics can_react_to_messages"
    " can_edit_tag"
)


def restricted(*, can_send: bool, is_member: bool = True) -> ChatMemberRestricted:
    fields: dict[str, object] = dict.fromkeys(RESTRICTED_RIGHTS.split(), True)
    fields.update(
        status="restricted",
        user=BOT,
        is_member=is_member,
        can_send_messages=can_send,
        until_date=0,
    )
    return ChatMemberRestricted.model_validate(fields)


def admin() -> ChatMemberAdministrator:
    return ChatMemberAdministrator(
        user=BOT,
        can_be_edited=False,
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=True,
        can_restrict_members=False,
        can_promote_members=False,
        can_change_info=False,
        can_invite_users=True,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
        can_send_welcome_messages=False,
    )


@pytest.mark.parametrize(
    ("member", "chat", "missing"),
    [
        (ChatMemberOwner(user=BOT, is_anonymous=False), GROUP, None),
        (admin(), MUTED_GROUP, None),  # administrators are never muted
        (ChatMemberMember(user=BOT), GROUP, None),
        (ChatMemberMember(user=BOT), MUTED_GROUP, "can_send_messages"),
        (restricted(can_send=True), GROUP, None),
        (restricted(can_send=False), GROUP, "can_send_messages"),
        (restricted(can_send=True, is_member=False), GROUP, "member"),
        (ChatMemberLeft(user=BOT), GROUP, "member"),
    ],
)
def test_what_the_bot_lacks_to_send_in_a_group(
    member: object, chat: ChatFullInfo, missing: str | None
) -> None:
    assert missing_group_right(member, chat) == missing  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "error", "text"),
    [
        (
            "ru",
            MissingRight("@g", "Палата", "can_send_messages"),
            "Я администратор «Палата», но без права «Отправка сообщений (can_send_messages)»."
            " Дайте мне это право и отправьте команду ещё раз.",
        ),
        ("ru", NoTopics("@c", "Канал"), "«Канал» — канал, а у каналов нет тем."),
        (
            "ru",
            BotNotMember("@g", "Палата"),
            "Меня нет в группе «Палата». Добавьте меня в группу и отправьте команду ещё раз.",
        ),
        (
            "en",
            NotAChannel("@g", "Группа"),
            "«Группа» is not a channel, nor a group with topics: only these can be linked.",
        ),
        ("en", NoTopics("@c", "Канал"), "«Канал» is a channel, and channels have no topics."),
    ],
)
def test_forum_refusals_in_words(language: str, error: ChannelError, text: str) -> None:
    i18n: I18n = build_i18n()
    with i18n.context(), i18n.use_locale(language):
        assert error_text(error) == text


async def test_a_forum_group_that_removed_the_bot_unseen_is_paused_not_forgotten(
    owned_bot: BotHarness,
) -> None:
    olga, chat = owner(owned_bot)
    forum = owned_bot.stand.group(
        "ТПП Восточной Сибири", forum=True, owner=olga, username="irk_chamber"
    )
    news = owned_bot.stand.create_topic(forum, "Новости")
    await owned_bot.seed_articles()  # the sources' first fetch: old news, pushed to nobody
    for command in (
        "/channel_add @irk_chamber",
        "/channel_rules @irk_chamber RU-IRK",
        f"/channel_topic @irk_chamber {news}",
    ):
        await say(owned_bot, olga, chat, command)
    forum.bot_status = MemberStatus.KICKED  # removed while the bot was down: no update came

    owned_bot.clock.advance(timedelta(minutes=30))
    assert (await owned_bot.seed_articles([BAM])).planned_deliveries == 1
    await owned_bot.runtime.sender.run_once()  # 403: the bot was kicked

    assert (await owned_bot.runtime.channels.find("@irk_chamber")).paused
    stored = await owned_bot.chat(forum.id)
    assert stored is not None and stored.active  # paused, so relinking brings it back
    assert (await owned_bot.runtime.ingest.database.read(counts))["failed"] == 1
