"""Bot API methods that send, edit and delete messages, and answer button presses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .core import StandCore
from .errors import bad_request
from .html_rules import (
    EntityParseError,
    FormattedText,
    check_entities,
    parse_html,
    strip_formatted,
)
from .keyboards import check_reply_markup
from .models import CallbackAnswer, MemberStatus, StandChat, StandMessage, StoredFile
from .params import Params

Handler = Callable[[StandCore, Params], Awaitable[Any]]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ANSWER_TEXT = 200
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_MEDIA_KINDS = ("photo", "video", "document", "audio")


def formatted(
    core: StandCore,
    raw: str | None,
    parse_mode: str | None,
    raw_entities: object,
) -> FormattedText | None:
    """Text after Telegram's parsing: by ``entities`` if given, else by ``parse_mode``."""
    if raw is None:
        return None
    mode = (parse_mode or "").lower()
    try:
        if raw_entities is not None:
            return check_entities(raw, raw_entities)
        if mode == "":
            return strip_formatted(raw, [])
        if mode == "html":
            return parse_html(raw, strict_ampersand=core.options.strict_ampersand)
    except EntityParseError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    if mode in {"markdownv2", "markdown"}:
        raise bad_request(
            f"parse_mode {parse_mode} is not supported by the test stand; send HTML or entities"
        )
    raise bad_request("unsupported parse_mode")


def _text(core: StandCore, params: Params) -> FormattedText:
    text = formatted(
        core,
        params.text("text"),
        params.text("parse_mode"),
        params.json_value("entities", what="entities"),
    )
    if text is None or not text.text:
        raise bad_request("message text is empty")
    if len(text.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text


def _caption(
    core: StandCore, raw: str | None, parse_mode: str | None, entities: object
) -> FormattedText | None:
    caption = formatted(core, raw, parse_mode, entities)
    if caption is not None and len(caption.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption if caption is not None and caption.text else None


def _markup(params: Params) -> dict[str, Any] | None:
    raw = params.json_value("reply_markup", what="reply keyboard markup")
    return None if raw is None else check_reply_markup(raw)


def _new_message(core: StandCore, chat: StandChat, params: Params) -> StandMessage:
    return StandMessage(
        chat=chat,
        message_id=chat.next_message_id(),
        sender=core.state.bot,
        date=core.now_date(),
        thread_id=core.thread_for(chat, params),
        reply_markup=_markup(params),
    )


def _store_file(
    core: StandCore, kind: str, size: int, source: str, content: bytes = b""
) -> StoredFile:
    number = core.state.next_number("file")
    stored = StoredFile(f"{kind[:2].upper()}ACAgStand{number:06d}", kind, size, source, content)
    core.state.files[stored.file_id] = stored
    return stored


def _media_payload(core: StandCore, params: Params, kind: str, ref: str | None) -> dict[str, Any]:
    """The message fields for a sent file: an upload, an ``attach://``, a URL or a file_id."""
    upload = params.upload(ref) if ref and ref.startswith("attach://") else None
    if ref is None:
        upload = params.file_field(kind)
    if upload is not None:
        if not upload.content:
            raise bad_request("file must be non-empty")
        stored = _store_file(
            core, kind, len(upload.content), f"upload:{upload.filename}", upload.content
        )
    elif ref is None or ref.startswith("attach://"):
        raise bad_request(f"there is no {kind} in the request")
    elif ref.startswith(("http://", "https://")):
        stored = _store_file(core, kind, 0, ref)
    elif ref in core.state.files:
        stored = core.state.files[ref]
    else:
        raise bad_request("wrong file identifier/HTTP URL specified")
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": f"AQAD{stored.file_id[-6:]}",
    }
    if stored.size:
        base["file_size"] = stored.size
    if kind == "photo":
        return {
            "photo": [{**base, "width": 90, "height": 60}, {**base, "width": 1280, "height": 853}]
        }
    if kind == "video":
        return {"video": {**base, "width": 1280, "height": 720, "duration": 1}}
    if kind == "audio":
        return {"audio": {**base, "duration": 1}}
    name = stored.source.removeprefix("upload:").rsplit("/", 1)[-1][:64]
    return {"document": {**base, "file_name": name}}


async def send_message(core: StandCore, params: Params) -> Any:
    chat = core.sendable_chat(params)
    text = _text(core, params)
    message = _new_message(core, chat, params)
    message.reply_to = core.reply_target(chat, params)
    message.text, message.entities = text.text, text.entity_list()
    message.link_preview_options = params.json_value(
        "link_preview_options", what="link preview options"
    )
    core.charge(chat)
    core.state.store(message)
    core.notify()
    return message.to_api()


async def send_photo(core: StandCore, params: Params) -> Any:
    return await _send_file(core, params, "photo")


async def send_document(core: StandCore, params: Params) -> Any:
    return await _send_file(core, params, "document")


async def _send_file(core: StandCore, params: Params, kind: str) -> Any:
    """sendPhoto / sendDocument: the file in the parameter ``kind``, an optional caption."""
    chat = core.sendable_chat(params)
    caption = _caption(
        core,
        params.text("caption"),
        params.text("parse_mode"),
        params.json_value("caption_entities", what="caption entities"),
    )
    media = _media_payload(core, params, kind, params.text(kind))
    message = _new_message(core, chat, params)
    message.reply_to = core.reply_target(chat, params)
    message.media = media
    if caption is not None:
        message.caption, message.caption_entities = caption.text, caption.entity_list()
    core.charge(chat)
    core.state.store(message)
    core.notify()
    return message.to_api()


async def get_file(core: StandCore, params: Params) -> Any:
    file_id = params.required_text("file_id", "file_id is empty")
    stored = core.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": f"AQAD{stored.file_id[-6:]}",
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


async def send_media_group(core: StandCore, params: Params) -> Any:
    chat = core.sendable_chat(params)
    items = params.json_value("media", what="media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the group: it must include 2-10 items")
    prepared: list[tuple[dict[str, Any], FormattedText | None]] = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in _MEDIA_KINDS:
            raise bad_request("can't parse InputMedia: unsupported media type")
        caption = _caption(
            core, item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
        )
        media = _media_payload(core, params, str(item["type"]), item.get("media"))
        prepared.append((media, caption))
    thread_id = core.thread_for(chat, params)
    reply_to = core.reply_target(chat, params)
    core.charge(chat, count=len(prepared))
    group_id = str(13_000_000_000_000_000 + core.state.next_number("media_group"))
    results = []
    for media, caption in prepared:
        message = StandMessage(
            chat=chat,
            message_id=chat.next_message_id(),
            sender=core.state.bot,
            date=core.now_date(),
            thread_id=thread_id,
            reply_to=reply_to,
            media=media,
            media_group_id=group_id,
        )
        if caption is not None:
            message.caption, message.caption_entities = caption.text, caption.entity_list()
        core.state.store(message)
        results.append(message.to_api())
    core.notify()
    return results


def _apply_edit(core: StandCore, message: StandMessage, before: str) -> Any:
    if message.content_key() == before:
        raise bad_request(NOT_MODIFIED)
    message.edit_date = core.now_date()
    core.notify()
    return message.to_api()


async def edit_message_text(core: StandCore, params: Params) -> Any:
    message = core.message_for_change(params, missing="message to edit not found")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = _text(core, params)
    markup = _markup(params)
    before = message.content_key()
    previous = (message.text, message.entities, message.reply_markup)
    message.text, message.entities, message.reply_markup = text.text, text.entity_list(), markup
    try:
        return _apply_edit(core, message, before)
    except Exception:
        message.text, message.entities, message.reply_markup = previous
        raise


async def edit_message_caption(core: StandCore, params: Params) -> Any:
    message = core.message_for_change(params, missing="message to edit not found")
    if not message.has_media:
        raise bad_request("there is no caption in the message to edit")
    caption = _caption(
        core,
        params.text("caption"),
        params.text("parse_mode"),
        params.json_value("caption_entities", what="caption entities"),
    )
    markup = _markup(params)
    before = message.content_key()
    previous = (message.caption, message.caption_entities, message.reply_markup)
    message.caption = caption.text if caption else None
    message.caption_entities = caption.entity_list() if caption else []
    message.reply_markup = markup
    try:
        return _apply_edit(core, message, before)
    except Exception:
        message.caption, message.caption_entities, message.reply_markup = previous
        raise


async def edit_message_reply_markup(core: StandCore, params: Params) -> Any:
    message = core.message_for_change(params, missing="message to edit not found")
    markup = _markup(params)
    if markup == message.reply_markup or (not markup and not message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    message.edit_date = core.now_date()
    core.notify()
    return message.to_api()


async def delete_message(core: StandCore, params: Params) -> Any:
    message = core.message_for_change(
        params, missing="message to delete not found", own_only=False
    )
    chat = message.chat
    if (
        message.sender.id != core.state.bot.id
        and not chat.is_private
        and chat.bot_status is not MemberStatus.ADMINISTRATOR
    ):
        raise bad_request("message can't be deleted")
    message.deleted = True
    core.notify()
    return True


async def answer_callback_query(core: StandCore, params: Params) -> Any:
    query_id = params.required_text("callback_query_id", "QUERY_ID_INVALID")
    query = core.state.queries.get(query_id)
    expired = query is None or core.clock() - query.created_at > core.options.callback_query_ttl
    if query is None or query.answered or expired:
        raise bad_request(QUERY_TOO_OLD)
    text = params.text("text")
    if text is not None and len(text) > MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    url = params.text("url")
    bot_link = f"https://t.me/{core.state.bot.username}"
    if url is not None and not url.startswith(bot_link):
        raise bad_request("URL_INVALID")
    query.answered = True
    core.state.callback_answers.append(
        CallbackAnswer(
            callback_query_id=query_id,
            text=text,
            show_alert=params.flag("show_alert"),
            url=url,
            cache_time=params.integer("cache_time"),
        )
    )
    core.notify()
    return True


MESSAGE_METHODS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendMediaGroup": send_media_group,
    "sendDocument": send_document,
    "getFile": get_file,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
}
