"""The test stand itself: the real aiogram ``Bot`` against the fake Bot API, as a bot uses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    MessageEntity,
)
from aiogram.utils.formatting import Bold, Text, TextLink
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.telegram_stand import (
    ManualClock,
    RateLimits,
    StandUsageError,
    TelegramStand,
)
from tests.telegram_stand.html_rules import EntityParseError, parse_html, utf16_len


@pytest.fixture
async def bot(telegram_stand: TelegramStand) -> AsyncIterator[Bot]:
    bot = telegram_stand.make_bot()
    yield bot
    await bot.session.close()


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


# The HTML rules, pure -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>bold</b>", "bold", [("bold", 0, 4)]),
        ("😀 <i>x</i>", "😀 x", [("italic", 3, 1)]),
        ("a &lt;b&gt; &amp; &quot;c&quot; &#1071;", 'a <b> & "c" Я', []),
        ("<b><i>x</i></b>", "x", [("bold", 0, 1), ("italic", 0, 1)]),
        ('<span class="tg-spoiler">s</span>', "s", [("spoiler", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<pre><code class="language-py">x=1</code></pre>', "x=1", [("pre", 0, 3)]),
        ("  <b> padded </b>  ", "padded", [("bold", 0, 6)]),
        ("1 > 0", "1 > 0", []),
    ],
)
def test_html_parses_to_text_and_utf16_entities(
    source: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    parsed = parse_html(source)

    assert parsed.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == entities


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("Привет <p>", 'Unsupported start tag "p" at byte offset 13'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("R&D", "Character '&' must be escaped as &amp; at byte offset 1"),
        ("&nbsp;", "Character '&' must be escaped as &amp; at byte offset 0"),
        ("x <3", "Unclosed start tag at byte offset 2"),
    ],
)
def test_html_violations_are_named_like_telegram(source: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)

    assert str(caught.value) == error


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_len("Я😀") == 3


# Sending --------------------------------------------------------------------------------


async def test_get_me_is_the_stand_bot(telegram_stand: TelegramStand, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == telegram_stand.bot_user.id
    assert me.username == "regionews_test_bot"
    assert me.is_bot


async def test_valid_html_is_stored_with_entities(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)

    sent = await bot.send_message(
        anna.id, '📰 <b>Урал</b>: <a href="https://example.ru/a?x=1&amp;y=2">новость</a>'
    )

    [stored] = telegram_stand.messages_in(chat)
    assert sent.text == stored.text == "📰 Урал: новость"
    assert sent.html_text == stored.model().html_text
    assert stored.entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 9, "length": 7, "url": "https://example.ru/a?x=1&y=2"},
    ]
    assert sent.from_user is not None and sent.from_user.id == telegram_stand.bot_user.id


@pytest.mark.parametrize(
    "html",
    ["Цена < 100 ₽", "<div>Урал</div>", "<b>незакрытый"],
    ids=["bare-less-than", "unsupported-tag", "unclosed-tag"],
)
async def test_broken_html_is_refused(telegram_stand: TelegramStand, bot: Bot, html: str) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)

    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(anna.id, html)

    assert telegram_stand.messages_in(chat) == []
    [call] = telegram_stand.calls("sendMessage")
    assert call.error_code == 400


async def test_formatting_entities_are_checked_in_utf16(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    content = Text("😀 ", Bold("<Урал>"), " ", TextLink("ссылка", url="https://t.me/x"))

    await bot.send_message(anna.id, **content.as_kwargs())
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(
            anna.id, text="short", entities=[MessageEntity(type="bold", offset=3, length=5)]
        )

    [stored] = telegram_stand.messages_in(chat)
    assert stored.text == "😀 <Урал> ссылка"
    assert stored.entities[0] == {"type": "bold", "offset": 3, "length": 6}


async def test_text_length_limit(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    telegram_stand.private_chat(anna)

    await bot.send_message(anna.id, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(anna.id, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(anna.id, "<b> </b>")


async def test_callback_data_is_limited_to_64_bytes(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    telegram_stand.private_chat(anna)
    fits = "р" * 32  # 64 bytes in UTF-8
    too_long = "р" * 32 + "x"  # 33 characters, 65 bytes

    await bot.send_message(
        anna.id, "ok", reply_markup=keyboard(InlineKeyboardButton(text="A", callback_data=fits))
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            anna.id,
            "no",
            reply_markup=keyboard(InlineKeyboardButton(text="A", callback_data=too_long)),
        )
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(
            anna.id,
            "no",
            reply_markup=keyboard(InlineKeyboardButton(text="A", url="javascript:alert(1)")),
        )


async def test_photo_upload_and_media_group(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    upload = BufferedInputFile(b"\x89PNG fake", filename="chart.png")

    photo = await bot.send_photo(anna.id, upload, caption="<i>График</i>")
    assert photo.photo is not None
    album = await bot.send_media_group(
        anna.id,
        [
            InputMediaPhoto(media=photo.photo[-1].file_id),
            InputMediaPhoto(media="https://example.ru/b.jpg", caption="B"),
        ],
    )
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(anna.id, "https://example.ru/c.jpg", caption="я" * 1025)

    assert photo.caption == "График"
    assert len({message.media_group_id for message in album}) == 1
    assert [m.message_id for m in telegram_stand.messages_in(chat)] == [1, 2, 3]


async def test_edit_delete_and_not_modified(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    markup = keyboard(InlineKeyboardButton(text="Ещё", callback_data="more"))
    sent = await bot.send_message(anna.id, "v1", reply_markup=markup)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="v1", chat_id=anna.id, message_id=sent.message_id, reply_markup=markup
        )
    await bot.edit_message_text(text="<b>v2</b>", chat_id=anna.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=anna.id, message_id=99)
    [edited] = telegram_stand.messages_in(chat)
    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == ("v2", None, True)

    assert await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, sent.message_id)
    assert telegram_stand.messages_in(chat) == []


async def test_forum_topics_get_thread_ids(telegram_stand: TelegramStand, bot: Bot) -> None:
    forum = telegram_stand.group("Металлурги", forum=True)
    topic = telegram_stand.create_topic(forum, "Новости")

    sent = await bot.send_message(forum.id, "в тему", message_thread_id=topic)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(forum.id, "мимо", message_thread_id=topic + 100)

    assert (sent.message_thread_id, sent.is_topic_message) == (topic, True)
    assert telegram_stand.messages_in(forum, thread_id=topic) == telegram_stand.messages_in(forum)


# Limits and failures ------------------------------------------------------------------------


async def test_rate_limits_follow_the_injected_clock() -> None:
    clock = ManualClock()
    limits = RateLimits(private_burst=1, group_per_minute=2)
    async with TelegramStand(clock=clock, limits=limits) as stand:
        anna = stand.user(1001, "Анна")
        stand.private_chat(anna)
        group = stand.group("Энергетики")
        bot = stand.make_bot()
        try:
            await bot.send_message(anna.id, "1")
            with pytest.raises(TelegramRetryAfter) as private_flood:
                await bot.send_message(anna.id, "2")
            clock.advance(1)
            await bot.send_message(anna.id, "2")

            await bot.send_message(group.id, "a")
            await bot.send_message(group.id, "b")
            with pytest.raises(TelegramRetryAfter) as group_flood:
                await bot.send_message(group.id, "c")
            clock.advance(60)
            await bot.send_message(group.id, "c")
        finally:
            await bot.session.close()

        assert private_flood.value.retry_after == 1
        assert group_flood.value.retry_after == 60
        refused = [call for call in stand.calls("sendMessage") if call.error_code == 429]
        assert refused[0].description == "Too Many Requests: retry after 1"
        assert refused[0].parameters == {"retry_after": 1}


async def test_blocked_and_deactivated_users_are_forbidden(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    boris = telegram_stand.user(1002, "Борис")
    telegram_stand.private_chat(anna)
    telegram_stand.private_chat(boris)

    await telegram_stand.block_bot(anna)
    telegram_stand.deactivate(boris)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "привет")
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(boris.id, "привет")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "привет")
    [update] = telegram_stand.pending_updates
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"


async def test_group_kick_and_migration(telegram_stand: TelegramStand, bot: Bot) -> None:
    owner = telegram_stand.user(1001, "Анна")
    kicked_from = telegram_stand.group("Старая", owner=owner)
    basic = telegram_stand.group("Нефтяники", owner=owner)

    await telegram_stand.remove_bot_from_group(kicked_from, by=owner)
    supergroup = await telegram_stand.migrate_group(basic)

    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
        await bot.send_message(kicked_from.id, "x")
    with pytest.raises(TelegramMigrateToChat) as moved:
        await bot.send_message(basic.id, "x")
    assert moved.value.migrate_to_chat_id == supergroup.id
    await bot.send_message(supergroup.id, "x")
    assert (await bot.get_chat(supergroup.id)).type == "supergroup"


async def test_unknown_method_and_token(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    telegram_stand.private_chat(anna)
    stranger = Bot("123:wrong", session=bot.session)

    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot.send_dice(anna.id)
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()


async def test_scripted_server_errors_and_dropped_connections(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    telegram_stand.fail_next("sendMessage", error_code=502, description="Bad Gateway")
    telegram_stand.drop_next("sendmessage")

    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(anna.id, "1")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(anna.id, "2")
    await bot.send_message(anna.id, "3")

    assert [m.text for m in telegram_stand.messages_in(chat)] == ["3"]
    assert [c.dropped for c in telegram_stand.calls("sendMessage")] == [False, True, False]


async def test_commands_are_validated_and_kept_per_scope(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    commands = [BotCommand(command="start", description="Начать")]

    await bot.set_my_commands(commands, language_code="ru")
    await bot.set_my_commands(
        [BotCommand(command="digest", description="Сводка")],
        scope=BotCommandScopeAllGroupChats(),
    )
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])

    assert telegram_stand.commands(language_code="ru") == commands
    assert telegram_stand.commands() == []
    in_groups = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    assert [(command.command, command.description) for command in in_groups] == [
        ("digest", "Сводка")
    ]


async def test_bot_joins_a_group_sees_its_admins_and_leaves(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    owner = telegram_stand.user(1001, "Анна")
    editor = telegram_stand.user(1002, "Борис")
    group = telegram_stand.group(
        "Лесопромышленники", supergroup=True, owner=owner, admins=[editor], bot_member=False
    )

    with pytest.raises(TelegramForbiddenError, match="not a member of the supergroup chat"):
        await bot.send_message(group.id, "x")
    await telegram_stand.add_bot_to_group(group, by=owner, as_admin=True)
    admins = await bot.get_chat_administrators(group.id)
    member = await bot.get_chat_member(group.id, editor.id)
    await bot.leave_chat(group.id)
    updates = await bot.get_updates()

    assert {admin.user.id for admin in admins} == {owner.id, editor.id, bot.id}
    assert member.status == "administrator"
    assert [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member] == [
        "administrator",
        "left",
    ]


async def test_channel_posts_need_admin_rights(telegram_stand: TelegramStand, bot: Bot) -> None:
    news = telegram_stand.channel("Новости Урала", username="ural_news")
    closed = telegram_stand.channel("Закрытый", bot_admin=False)

    post = await bot.send_message("@ural_news", "<b>Выпуск</b>")
    with pytest.raises(TelegramBadRequest, match="need administrator rights"):
        await bot.send_message(closed.id, "x")

    assert post.sender_chat is not None and post.sender_chat.id == news.id
    assert telegram_stand.messages_in(news)[0].text == "Выпуск"


# Updates --------------------------------------------------------------------------------


async def test_dispatcher_polls_and_the_person_sees_the_reply(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await anna.send(chat, "/start")
        [reply] = await telegram_stand.wait_for_messages(chat, count=1, timeout=5)
    finally:
        await dp.stop_polling()
        await polling

    assert reply.text == "Эхо: /start"
    assert telegram_stand.pending_updates == []
    [poll, *_] = telegram_stand.calls("getUpdates")
    assert poll.params["allowed_updates"] == '["message"]'


async def test_offsets_confirm_updates(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    await anna.send(chat, "one")
    await anna.send(chat, "two")

    first = await bot.get_updates(limit=1)
    again = await bot.get_updates(limit=1)
    rest = await bot.get_updates(offset=first[0].update_id + 1)
    done = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)

    assert first == again
    assert [u.message.text for u in rest if u.message] == ["two"]
    assert done == []


async def test_allowed_updates_are_remembered(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)

    assert await bot.get_updates(allowed_updates=["callback_query"]) == []
    await anna.send(chat, "не дойдёт")
    await telegram_stand.block_bot(anna)

    assert await bot.get_updates() == []
    assert [next(iter(set(u) - {"update_id"})) for u in telegram_stand.dropped_updates] == [
        "message",
        "my_chat_member",
    ]


async def test_overlapping_polls_conflict(telegram_stand: TelegramStand, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await telegram_stand.wait_for(lambda: telegram_stand.polling)

    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    await telegram_stand.close()
    assert await asyncio.wait_for(second, 1) == []


async def test_button_press_is_answered_once(telegram_stand: TelegramStand, bot: Bot) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    router = Router(name="buttons")

    @router.callback_query(F.data == "sub:ural")
    async def on_subscribe(query: CallbackQuery) -> None:
        await query.answer("Подписка оформлена")
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await query.answer("ещё раз")

    dp = Dispatcher()
    dp.include_router(router)
    await bot.send_message(
        anna.id,
        "Регион?",
        reply_markup=keyboard(InlineKeyboardButton(text="Урал", callback_data="sub:ural")),
    )
    [question] = telegram_stand.messages_in(chat)
    with pytest.raises(StandUsageError):
        await anna.press(question, button="Сибирь")
    query_id = await anna.press(question, button="Урал")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await telegram_stand.wait_for(
            lambda: len(telegram_stand.calls("answerCallbackQuery")) == 2
        )
    finally:
        await dp.stop_polling()
        await polling

    answer = telegram_stand.answer_for(query_id)
    assert answer is not None and answer.text == "Подписка оформлена"
    assert len(telegram_stand.callback_answers) == 1


async def test_webhook_delivers_with_secret_and_runs_the_reply(
    telegram_stand: TelegramStand, bot: Bot
) -> None:
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> object:
        return message.answer(f"Эхо: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cret", handle_in_background=False).register(
        app, path="/hook"
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="wrong")
        await anna.send(chat, "раз")
        await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        [reply] = await telegram_stand.wait_for_messages(chat)
        info = await bot.get_webhook_info()
    finally:
        await runner.cleanup()

    statuses = [delivery.status for delivery in telegram_stand.webhook_deliveries]
    assert statuses == [401, 200]
    assert reply.text == "Эхо: раз"
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
