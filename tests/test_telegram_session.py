"""The JSON Bot API session against the strict fake server: JSON for ordinary requests,
multipart still for uploads, Telegram's errors still mapped to aiogram's exceptions; the
request bodies it builds are exactly aiogram's, the response types are built once, and the
receipt methods read Telegram's answers into small models."""

from __future__ import annotations

import gc
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction, ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    BanChatMember,
    CopyMessage,
    CreateChatInviteLink,
    DeleteMessages,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    RestrictChatMember,
    SendChatAction,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendPoll,
    SetMessageReaction,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    BufferedInputFile,
    CallbackGame,
    Chat,
    ChatPermissions,
    CopyTextButton,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaDocument,
    InputMediaPhoto,
    InputPollOption,
    InputTextMessageContent,
    KeyboardButton,
    KeyboardButtonPollType,
    KeyboardButtonRequestChat,
    KeyboardButtonRequestUsers,
    LinkPreviewOptions,
    LoginUrl,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    SuggestedPostParameters,
    SuggestedPostPrice,
    SwitchInlineQueryChosenChat,
    User,
    WebAppInfo,
)
from aiogram.utils.formatting import Bold, Text, TextLink

from bot.telegram import formatting
from bot.telegram.receipts import (
    EditMessageReplyMarkupForReceipt,
    EditMessageTextForReceipt,
    SendMessageForReceipt,
    SentChat,
    SentMessage,
)
from bot.telegram.retry import RetryAfterMiddleware
from bot.telegram.session import JsonAiohttpSession
from handlers.context import NO_PREVIEW, drop_keyboard, send, show
from tests.telegram_stand import ClockSleep, ManualClock, RateLimits, TelegramStand

TOKEN = "7000000001:AAStandTestTokenForRegionewsBot0000"


def json_bot(stand: TelegramStand) -> Bot:
    return Bot(
        stand.token, session=JsonAiohttpSession(api=TelegramAPIServer.from_base(stand.base_url))
    )


async def test_a_message_with_entities_and_a_keyboard_arrives_whole(
    telegram_stand: TelegramStand,
) -> None:
    telegram_stand.set_limits(RateLimits.off())
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    bot = json_bot(telegram_stand)
    try:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Иркутская область", callback_data="tg:1")]
            ]
        )
        sent = await bot.send_message(
            chat.id, **Text(Bold("Новости"), " <&> Приангарья").as_kwargs(), reply_markup=keyboard
        )
        assert sent.text == "Новости <&> Приангарья"
        [shown] = telegram_stand.messages_in(chat)
        assert shown.text == "Новости <&> Приангарья"
        assert shown.button_texts() == [["Иркутская область"]]
        assert [e["type"] for e in shown.entities] == ["bold"]
        photo = await bot.send_photo(
            chat.id, BufferedInputFile(b"\x89PNG fake image", "map.png"), caption="Карта"
        )
        assert photo.caption == "Карта"
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(chat.id, " ")
    finally:
        await bot.session.close()


# Request bodies: the direct walk gives exactly what aiogram's model_dump + prepare_value did.


def aiogram_payload(
    session: BaseSession, bot: Bot, method: TelegramMethod[Any]
) -> dict[str, Any] | None:
    """The JSON object as the session built it before: aiogram's own dump and preparation."""
    files: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared is not None and prepared not in ("", [], {}):
            payload[key] = prepared
    return None if files else payload


class Priority(IntEnum):
    HIGH = 2


class Mood(Enum):
    CALM = "calm"


NEWS = Text(
    Bold("Золото Приангарья"), " — добыча выросла. ", TextLink("Источник", url="https://irk.ru/")
)
REPLY = formatting.Text(
    formatting.Bold("Золото Приангарья"),
    " — добыча <выросла> & ",
    formatting.TextLink("Источник", url="https://irk.ru/?a=1&b=2"),
)
"""What the handlers send: the bot's own text nodes, as HTML."""
LIPETSK_PHOTO = "https://example.ru/lipetsk.jpg"
DEADLINE = datetime(2030, 5, 17, 12, 30, 15, tzinfo=UTC)

EVERY_INLINE_BUTTON = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Иркутская область", callback_data="tg:38"),
            InlineKeyboardButton(text="Сайт", url="https://irk.ru/"),
        ],
        [InlineKeyboardButton(text="Карта", web_app=WebAppInfo(url="https://map.example.ru/"))],
        [
            InlineKeyboardButton(
                text="Войти", login_url=LoginUrl(url="https://example.ru/login", bot_username="b")
            )
        ],
        [
            InlineKeyboardButton(text="Поделиться", switch_inline_query="золото"),
            InlineKeyboardButton(text="Здесь", switch_inline_query_current_chat=""),
        ],
        [
            InlineKeyboardButton(
                text="В группу",
                switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
                    query="золото", allow_group_chats=True, allow_user_chats=False
                ),
            )
        ],
        [InlineKeyboardButton(text="Копировать", copy_text=CopyTextButton(text="код 42"))],
        [InlineKeyboardButton(text="Играть", callback_game=CallbackGame())],
        [InlineKeyboardButton(text="Оплатить", pay=True)],
    ]
)

EVERY_REPLY_BUTTON = ReplyKeyboardMarkup(
    keyboard=[
        [KeyboardButton(text="Новости"), KeyboardButton(text="Телефон", request_contact=True)],
        [KeyboardButton(text="Где я", request_location=True)],
        [KeyboardButton(text="Опрос", request_poll=KeyboardButtonPollType(type="quiz"))],
        [
            KeyboardButton(
                text="Люди",
                request_users=KeyboardButtonRequestUsers(request_id=1, user_is_bot=False),
            ),
            KeyboardButton(
                text="Группа",
                request_chat=KeyboardButtonRequestChat(request_id=2, chat_is_channel=False),
            ),
        ],
        [KeyboardButton(text="Приложение", web_app=WebAppInfo(url="https://app.example.ru/"))],
    ],
    resize_keyboard=True,
    one_time_keyboard=False,
    is_persistent=True,
    input_field_placeholder="Регион",
)

METHODS: dict[str, Callable[[], TelegramMethod[Any]]] = {
    "sendMessage with entities, inline keyboard, preview options, reply parameters": lambda: (
        SendMessage(
            chat_id=-1001234567890,
            message_thread_id=7,
            business_connection_id="bc-1",
            **NEWS.as_kwargs(),
            reply_markup=EVERY_INLINE_BUTTON,
            link_preview_options=LinkPreviewOptions(
                url="https://irk.ru/", prefer_small_media=True, show_above_text=False
            ),
            reply_parameters=ReplyParameters(
                message_id=41,
                quote="добыча",
                quote_entities=[MessageEntity(type="italic", offset=0, length=6)],
                allow_sending_without_reply=True,
            ),
            disable_notification=False,
        )
    ),
    "sendMessage with the bot's defaults for parse mode, preview and protection": lambda: (
        SendMessage(chat_id=1001, text="<b>Новости</b> Липецка")
    ),
    "sendMessage with a reply keyboard of every button kind": lambda: SendMessage(
        chat_id=1001, text="Выберите", reply_markup=EVERY_REPLY_BUTTON
    ),
    "sendMessage removing the reply keyboard": lambda: SendMessage(
        chat_id=1001, text="Готово", reply_markup=ReplyKeyboardRemove(selective=True)
    ),
    "sendMessage forcing a reply": lambda: SendMessage(
        chat_id="@regionews", text="Ваш регион?", reply_markup=ForceReply(selective=False)
    ),
    "sendMessage with empty entities, an explicit None parse mode and an enum": lambda: (
        SendMessage(chat_id=1001, text="x", entities=[], parse_mode=None, protect_content=None)
    ),
    "sendMessage with parse mode given as an enum and a disabled preview": lambda: SendMessage(
        chat_id=1001, text="x", parse_mode=ParseMode.MARKDOWN_V2, link_preview_options=NO_PREVIEW
    ),
    "sendMessage with a suggested post (a unix-time DateTime inside)": lambda: SendMessage(
        chat_id=1001,
        text="Пост",
        suggested_post_parameters=SuggestedPostParameters(
            price=SuggestedPostPrice(currency="XTR", amount=100), send_date=DEADLINE
        ),
    ),
    "sendMessage with extra keyword arguments aiogram does not know yet": lambda: SendMessage(
        chat_id=1001,
        text="x",
        future_priority=Priority.HIGH,
        future_mood=Mood.CALM,
        future_options={"a": None, "b": [None, 1, {"c": None, "d": ""}], "e": []},
        future_button=InlineKeyboardButton(text="t", callback_data="d"),
        future_when=DEADLINE,
    ),
    "sendMessage with an extra holding a Message (a `from` alias inside)": lambda: SendMessage(
        chat_id=1001,
        text="x",
        future_message=Message(
            message_id=5,
            date=DEADLINE,
            chat=Chat(id=1001, type="private"),
            from_user=User(id=1001, is_bot=False, first_name="Анна"),
            text="привет",
        ),
    ),
    "editMessageText": lambda: EditMessageText(
        chat_id=1001, message_id=42, **NEWS.as_kwargs(), reply_markup=EVERY_INLINE_BUTTON
    ),
    "editMessageText of an inline message with defaults": lambda: EditMessageText(
        inline_message_id="AAQ", text="обновлено"
    ),
    "editMessageReplyMarkup dropping the keyboard": lambda: EditMessageReplyMarkup(
        chat_id=1001, message_id=42, reply_markup=None
    ),
    "editMessageCaption": lambda: EditMessageCaption(
        chat_id=1001, message_id=42, caption="Карта", show_caption_above_media=True
    ),
    "answerCallbackQuery": lambda: AnswerCallbackQuery(
        callback_query_id="q-1", text="Сохранено", show_alert=False, cache_time=0
    ),
    "setMyCommands for a chat": lambda: SetMyCommands(
        commands=[
            BotCommand(command="start", description="Начать"),
            BotCommand(command="latest", description="Свежие новости"),
        ],
        scope=BotCommandScopeChat(chat_id=-100200),
        language_code="ru",
    ),
    "setMyCommands for all groups": lambda: SetMyCommands(
        commands=[BotCommand(command="help", description="Помощь")],
        scope=BotCommandScopeAllGroupChats(),
    ),
    "setMyCommands for a member": lambda: SetMyCommands(
        commands=[BotCommand(command="settings", description="Настройки")],
        scope=BotCommandScopeChatMember(chat_id=-100200, user_id=1001),
    ),
    "sendMediaGroup of URLs": lambda: SendMediaGroup(
        chat_id=1001,
        media=[
            InputMediaPhoto(media=LIPETSK_PHOTO, **NEWS.as_caption_kwargs()),
            InputMediaPhoto(media="https://example.ru/2.jpg", caption="<i>два</i>"),
            InputMediaDocument(media="https://example.ru/report.pdf", caption="Отчёт"),
        ],
    ),
    "sendMediaGroup with an upload": lambda: SendMediaGroup(
        chat_id=1001,
        media=[
            InputMediaPhoto(media=LIPETSK_PHOTO),
            InputMediaPhoto(media=BufferedInputFile(b"\x89PNG", "map.png")),
        ],
    ),
    "sendPhoto by URL": lambda: SendPhoto(chat_id=1001, photo=LIPETSK_PHOTO, caption="Липецк"),
    "sendPhoto with an upload": lambda: SendPhoto(
        chat_id=1001, photo=BufferedInputFile(b"\x89PNG", "map.png"), caption="Карта"
    ),
    "sendDocument with an uploaded thumbnail": lambda: SendDocument(
        chat_id=1001, document="file-id-1", thumbnail=BufferedInputFile(b"jpg", "t.jpg")
    ),
    "getUpdates with allowed updates": lambda: GetUpdates(
        offset=17, timeout=25, allowed_updates=["message", "callback_query", "my_chat_member"]
    ),
    "getUpdates with no allowed updates": lambda: GetUpdates(offset=0, allowed_updates=[]),
    "banChatMember until a datetime": lambda: BanChatMember(
        chat_id=-100200, user_id=1001, until_date=DEADLINE, revoke_messages=True
    ),
    "banChatMember until a unix time": lambda: BanChatMember(
        chat_id=-100200, user_id=1001, until_date=1_900_000_000
    ),
    "restrictChatMember": lambda: RestrictChatMember(
        chat_id=-100200,
        user_id=1001,
        permissions=ChatPermissions(can_send_messages=False, can_send_polls=True),
        until_date=DEADLINE,
    ),
    "createChatInviteLink": lambda: CreateChatInviteLink(
        chat_id=-100200, name="Приглашение", expire_date=DEADLINE, member_limit=5
    ),
    "sendChatAction with an enum": lambda: SendChatAction(chat_id=1001, action=ChatAction.TYPING),
    "sendPoll": lambda: SendPoll(
        chat_id=1001,
        question="Какой регион?",
        options=[InputPollOption(text="Иркутск"), InputPollOption(text="Липецк")],
        is_anonymous=False,
        close_date=DEADLINE,
    ),
    "answerInlineQuery with defaults inside the results": lambda: AnswerInlineQuery(
        inline_query_id="iq-1",
        results=[
            InlineQueryResultArticle(
                id="a1",
                title="Золото",
                input_message_content=InputTextMessageContent(message_text="<b>Золото</b>"),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="Ещё", callback_data="more")]]
                ),
            )
        ],
        cache_time=0,
        is_personal=True,
    ),
    "setMessageReaction": lambda: SetMessageReaction(
        chat_id=1001, message_id=42, reaction=[ReactionTypeEmoji(emoji="👍")], is_big=False
    ),
    "copyMessage": lambda: CopyMessage(
        chat_id=1001, from_chat_id=-100200, message_id=42, caption="", caption_entities=[]
    ),
    "deleteMessages": lambda: DeleteMessages(chat_id=1001, message_ids=[1, 2, 3]),
    "setWebhook": lambda: SetWebhook(
        url="https://bot.example.ru/telegram/webhook",
        allowed_updates=["message"],
        drop_pending_updates=True,
        secret_token="s3cret",
    ),
    "sendMessage for a receipt": lambda: SendMessageForReceipt(
        chat_id=1001, **NEWS.as_kwargs(), reply_markup=EVERY_INLINE_BUTTON
    ),
    "editMessageText for a receipt": lambda: EditMessageTextForReceipt(
        chat_id=1001, message_id=42, text="x", link_preview_options=NO_PREVIEW
    ),
    "editMessageReplyMarkup for a receipt": lambda: EditMessageReplyMarkupForReceipt(
        chat_id=1001, message_id=42, reply_markup=EVERY_INLINE_BUTTON
    ),
}

BOT_DEFAULTS = {
    "no defaults": DefaultBotProperties(),
    "HTML, no previews, protected": DefaultBotProperties(
        parse_mode=ParseMode.HTML,
        link_preview_is_disabled=True,
        protect_content=True,
        show_caption_above_media=False,
    ),
}


@pytest.fixture(params=list(BOT_DEFAULTS), ids=list(BOT_DEFAULTS))
def session_bot(request: pytest.FixtureRequest) -> Bot:
    """A bot on the JSON session that never connects: nothing to close."""
    return Bot(TOKEN, session=JsonAiohttpSession(), default=BOT_DEFAULTS[request.param])


@pytest.mark.parametrize("make_method", list(METHODS.values()), ids=list(METHODS))
def test_the_json_body_is_exactly_what_aiogram_builds(
    session_bot: Bot, make_method: Callable[[], TelegramMethod[Any]]
) -> None:
    session = session_bot.session
    assert isinstance(session, JsonAiohttpSession)
    method = make_method()

    expected = aiogram_payload(session, session_bot, method)
    payload = session.json_payload(session_bot, method)

    # The JSON text, not just ==: 1 == 1.0 == True and "1" != 1 must all be told apart.
    assert json.dumps(payload, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    assert payload == session.json_payload(session_bot, method)  # the per-class plans reused


def test_the_bodies_cover_defaults_unix_times_enums_aliases_and_uploads() -> None:
    """The cases above reach every branch that matters: a sanity check on a few of them."""
    bot = Bot(
        TOKEN, session=JsonAiohttpSession(), default=BOT_DEFAULTS["HTML, no previews, protected"]
    )
    session = bot.session
    assert isinstance(session, JsonAiohttpSession)

    def body(name: str) -> dict[str, Any] | None:
        return session.json_payload(bot, METHODS[name]())

    defaults = body("sendMessage with the bot's defaults for parse mode, preview and protection")
    assert defaults == {
        "chat_id": 1001,
        "text": "<b>Новости</b> Липецка",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "protect_content": True,
        "disable_web_page_preview": True,
    }
    suggested = body("sendMessage with a suggested post (a unix-time DateTime inside)")
    assert suggested is not None
    assert suggested["suggested_post_parameters"]["send_date"] == int(DEADLINE.timestamp())
    ban = body("banChatMember until a datetime")
    assert ban is not None
    assert ban["until_date"] == str(int(DEADLINE.timestamp()))  # aiogram's prepare_value
    extra = body("sendMessage with extra keyword arguments aiogram does not know yet")
    assert extra is not None
    assert (extra["future_priority"], extra["future_mood"]) == ("2", "calm")
    assert extra["future_options"] == {"b": [1, {"d": ""}], "e": []}
    for upload in (
        "sendMediaGroup with an upload",
        "sendPhoto with an upload",
        "sendDocument with an uploaded thumbnail",
    ):
        assert body(upload) is None, upload
    assert body("sendPhoto by URL") == {
        "chat_id": 1001,
        "photo": LIPETSK_PHOTO,
        "caption": "Липецк",
        "parse_mode": "HTML",
        "show_caption_above_media": False,
        "protect_content": True,
    }
    quoted = body("sendMessage with an extra holding a Message (a `from` alias inside)")
    assert quoted is not None
    assert "from_user" in quoted["future_message"]  # model_dump's keys: names, not aliases


# Responses: one Response type per result type, aiogram's exceptions for Telegram's errors.


class RecordingSession(JsonAiohttpSession):
    """The JSON session, noting the response class each call was validated with."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.response_classes: list[type] = []

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Any:
        response = super().check_response(bot, method, status_code, content)
        self.response_classes.append(type(response))
        return response


async def test_each_result_type_is_validated_with_one_response_class_for_the_session(
    telegram_stand: TelegramStand,
) -> None:
    telegram_stand.set_limits(RateLimits.off())
    chat = telegram_stand.private_chat(telegram_stand.user(1001, "Анна"))
    session = RecordingSession(api=TelegramAPIServer.from_base(telegram_stand.base_url))
    bot = Bot(telegram_stand.token, session=session)
    try:
        first = await bot.send_message(chat.id, "первое")
        gc.collect()  # pydantic's own cache of Response[Message] is weak
        second = await bot.send_message(chat.id, "второе")
        await bot.edit_message_text(
            "первое, исправлено", chat_id=chat.id, message_id=first.message_id
        )
        await bot.get_me()
    finally:
        await bot.session.close()

    sent_first, sent_second, edited, me = session.response_classes
    assert sent_first is sent_second is session.response_type(Message)
    assert edited is session.response_type(Message | bool)
    assert len({sent_first, edited, me}) == 3
    assert second.text == "второе"


ERRORS: dict[str, tuple[int, str, dict[str, Any] | None, type[TelegramAPIError]]] = {
    "flood": (429, "Too Many Requests: retry after 7", {"retry_after": 7}, TelegramRetryAfter),
    "migrated": (
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": -100999},
        TelegramMigrateToChat,
    ),
    "bad request": (400, "Bad Request: chat not found", None, TelegramBadRequest),
    "not found": (404, "Not Found", None, TelegramNotFound),
    "conflict": (409, "Conflict: terminated by other getUpdates", None, TelegramConflictError),
    "unauthorized": (401, "Unauthorized", None, TelegramUnauthorizedError),
    "forbidden": (403, "Forbidden: bot was blocked by the user", None, TelegramForbiddenError),
    "too large": (413, "Request Entity Too Large", None, TelegramEntityTooLarge),
    "restarting": (500, "Internal Server Error: restart", None, RestartingTelegram),
    "server error": (502, "Bad Gateway", None, TelegramServerError),
    "anything else": (420, "Flood: wait", None, TelegramAPIError),
}


@pytest.mark.parametrize(
    ("status", "description", "parameters", "error_type"), list(ERRORS.values()), ids=list(ERRORS)
)
async def test_telegram_errors_still_raise_aiogram_exceptions(
    telegram_stand: TelegramStand,
    status: int,
    description: str,
    parameters: dict[str, Any] | None,
    error_type: type[TelegramAPIError],
) -> None:
    chat = telegram_stand.private_chat(telegram_stand.user(1001, "Анна"))
    telegram_stand.fail_next(
        "sendMessage", error_code=status, description=description, parameters=parameters
    )
    bot = json_bot(telegram_stand)
    try:
        with pytest.raises(TelegramAPIError) as raised:
            await SendMessageForReceipt(chat_id=chat.id, text="ответ").as_(bot).receipt()
    finally:
        await bot.session.close()

    assert type(raised.value) is error_type
    assert description in raised.value.message  # a flood error adds its own words
    if isinstance(raised.value, TelegramRetryAfter):
        assert raised.value.retry_after == 7
    if isinstance(raised.value, TelegramMigrateToChat):
        assert raised.value.migrate_to_chat_id == -100999
    assert telegram_stand.messages_in(chat) == []


@pytest.mark.parametrize(
    ("status", "content"),
    [
        (
            200,
            '{"ok": true, "result": {"message_id": 5, "date": 1700000000,'
            ' "chat": {"id": 1, "type": "private"}, "text": "hi"}}',
        ),
        (200, '{"ok": true, "result": true}'),
        (200, '{"ok": true, "result": "not a message"}'),
        (200, "<html>Bad Gateway</html>"),
        (200, '{"ok": false, "error_code": 400, "description": "Bad Request: odd"}'),
        *[
            (
                status,
                json.dumps(
                    {"ok": False, "error_code": status, "description": description}
                    | ({"parameters": parameters} if parameters else {})
                ),
            )
            for status, description, parameters, _ in ERRORS.values()
        ],
    ],
)
@pytest.mark.parametrize(
    "make_method",
    [
        lambda: SendMessage(chat_id=1, text="x"),
        lambda: EditMessageText(chat_id=1, message_id=5, text="x"),
    ],
    ids=["sendMessage", "editMessageText"],
)
def test_check_response_answers_as_aiogram_does(
    status: int, content: str, make_method: Callable[[], TelegramMethod[Any]]
) -> None:
    bot = Bot(TOKEN, session=JsonAiohttpSession())
    session = bot.session
    method = make_method()

    def outcome(check: Callable[[], Any]) -> tuple[type, Any]:
        try:
            result = check().result
        except (TelegramAPIError, ClientDecodeError) as error:
            return type(error), str(error)
        return type(result), result.model_dump() if isinstance(result, Message) else result

    ours = outcome(lambda: session.check_response(bot, method, status, content))
    aiograms = outcome(lambda: BaseSession.check_response(session, bot, method, status, content))
    assert ours == aiograms


# Receipts: the same requests as aiogram's methods, answers read into SentMessage.


async def test_a_receipt_names_the_message_telegram_sent_and_nothing_more(
    telegram_stand: TelegramStand,
) -> None:
    telegram_stand.set_limits(RateLimits.off())
    chat = telegram_stand.private_chat(telegram_stand.user(1001, "Анна"))
    bot = json_bot(telegram_stand)
    regions = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Иркутская область", callback_data="tg:38")]]
    )
    try:
        sending = SendMessageForReceipt(chat_id=chat.id, **NEWS.as_kwargs(), reply_markup=regions)
        receipt = await sending.as_(bot).receipt()
        unbuttoning = EditMessageReplyMarkupForReceipt(
            chat_id=chat.id, message_id=receipt.message_id, reply_markup=None
        )
        unbuttoned = await unbuttoning.as_(bot).receipt()
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await unbuttoning.as_(bot).receipt()
        editing = EditMessageTextForReceipt(
            chat_id=chat.id, message_id=receipt.message_id, text="Исправлено"
        )
        edited = await editing.as_(bot).receipt()
    finally:
        await bot.session.close()

    [shown] = telegram_stand.messages_in(chat)
    sent_call = telegram_stand.calls("sendMessage")[0]
    assert sent_call.result["text"] and sent_call.result["reply_markup"]  # there was more
    expected = SentMessage(
        message_id=shown.message_id,
        date=datetime.fromtimestamp(sent_call.result["date"], UTC),
        chat=SentChat(id=chat.id, type="private"),
    )
    assert receipt == expected
    assert receipt.date == expected.date
    # Nothing else of the answer is kept (slotted dataclasses: no room for extra fields).
    assert not hasattr(receipt, "__dict__")
    assert not hasattr(receipt.chat, "__dict__")
    assert isinstance(edited, SentMessage)
    assert isinstance(unbuttoned, SentMessage)
    assert edited.message_id == unbuttoned.message_id == shown.message_id
    assert shown.text == "Исправлено"
    assert shown.reply_markup is None


async def test_an_inline_message_edit_receipt_is_true() -> None:
    bot = Bot(TOKEN, session=JsonAiohttpSession())
    session = bot.session
    method = EditMessageTextForReceipt(inline_message_id="AAQ", text="x")
    checked = session.check_response(bot, method, 200, '{"ok": true, "result": true}')
    assert checked.result is True
    await session.close()


def test_receipt_methods_keep_aiograms_method_name_and_fields() -> None:
    for receipt_method, method in [
        (SendMessageForReceipt, SendMessage),
        (EditMessageTextForReceipt, EditMessageText),
        (EditMessageReplyMarkupForReceipt, EditMessageReplyMarkup),
    ]:
        assert issubclass(receipt_method, method)
        assert receipt_method.__api_method__ == method.__api_method__
        assert receipt_method.model_fields.keys() == method.model_fields.keys()
        assert receipt_method.__returning__ is not method.__returning__


async def test_receipts_are_resent_after_flood_control() -> None:
    """The session's RetryAfterMiddleware resends receipt methods like any other."""
    clock = ManualClock()
    strict = RateLimits(private_per_second=1.0, private_burst=1)
    async with TelegramStand(clock=clock, limits=strict) as stand:
        chat = stand.private_chat(stand.user(1001, "Анна"))
        bot = json_bot(stand)
        sleep = ClockSleep(clock)
        bot.session.middleware(RetryAfterMiddleware(sleep=sleep))
        try:
            receipts = [
                await SendMessageForReceipt(chat_id=chat.id, text=f"ответ {n}").as_(bot).receipt()
                for n in (1, 2, 3)
            ]
        finally:
            await bot.session.close()
        shown = stand.messages_in(chat)
        refused = [call for call in stand.calls("sendMessage") if call.error_code == 429]

    assert [m.text for m in shown] == ["ответ 1", "ответ 2", "ответ 3"]
    assert [r.message_id for r in receipts] == [m.message_id for m in shown]
    assert len(refused) == 2
    assert sleep.waits == [1.0, 1.0]


# The handlers' helpers send what Message.answer / edit_text / edit_reply_markup would.


class Captured(Exception):
    """Raised by :class:`RequestTrap` instead of sending."""


class RequestTrap:
    """A session middleware that notes each request (method, fields, JSON) and stops it."""

    def __init__(self, bot: Bot) -> None:
        session = bot.session
        assert isinstance(session, JsonAiohttpSession)
        self.session = session
        self.requests: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        session.middleware(self)

    async def __call__(self, make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        self.requests.append(
            (
                method.__api_method__,
                method.model_dump(warnings=False),
                self.session.json_payload(bot, method),
            )
        )
        raise Captured


def incoming(bot: Bot, **fields: Any) -> Message:
    """A message the bot got (or sent), bound to ``bot`` as in a handler."""
    base: dict[str, Any] = {
        "message_id": 42,
        "date": 1_700_000_000,
        "chat": Chat(id=-1001234567890, type="supergroup", title="Новости", is_forum=True),
    }
    return Message.model_validate(base | fields, context={"bot": bot})


MESSAGES: dict[str, dict[str, Any]] = {
    "in a private chat": {"chat": Chat(id=1001, type="private", first_name="Анна")},
    "in a forum topic": {"message_thread_id": 7, "is_topic_message": True},
    "in a thread that is not a topic": {"message_thread_id": 7},
    "from a business connection": {
        "chat": Chat(id=1001, type="private", first_name="Анна"),
        "business_connection_id": "bc-1",
    },
}


@pytest.mark.parametrize("fields", list(MESSAGES.values()), ids=list(MESSAGES))
async def test_the_handlers_helpers_send_what_aiograms_shortcuts_send(
    session_bot: Bot, fields: dict[str, Any]
) -> None:
    message = incoming(session_bot, **fields)
    trap = RequestTrap(session_bot)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Иркутская область", callback_data="tg:38")]]
    )
    pairs: list[tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = [
        (
            lambda: send(message, REPLY, markup),
            lambda: message.answer(
                **REPLY.as_kwargs(), reply_markup=markup, link_preview_options=NO_PREVIEW
            ),
        ),
        (
            lambda: send(message, REPLY),
            lambda: message.answer(
                **REPLY.as_kwargs(), reply_markup=None, link_preview_options=NO_PREVIEW
            ),
        ),
        (
            lambda: show(message, REPLY, markup),
            lambda: message.edit_text(
                **REPLY.as_kwargs(), reply_markup=markup, link_preview_options=NO_PREVIEW
            ),
        ),
        (
            lambda: drop_keyboard(message),
            lambda: message.edit_reply_markup(reply_markup=None),
        ),
    ]
    for ours, aiograms in pairs:
        with pytest.raises(Captured):
            await ours()
        with pytest.raises(Captured):
            await aiograms()
        assert trap.requests[-2] == trap.requests[-1]
    assert len(trap.requests) == 8
