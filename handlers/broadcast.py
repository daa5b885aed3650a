"""/broadcast, for owners and editors in a private chat with the bot: an announcement to every
reader or to the readers of chosen regions.

The dialogue: /broadcast → who (a button «Всем читателям», a button per region most readers
chose, or region names typed in any form) → the text (the admin's own formatting kept,
re-checked as our Telegram HTML) → a preview exactly as readers will see it and a
confirmation saying how many chats it will reach → «Отправить» turns the confirmation into the
progress message, with pause/resume and cancel buttons (:mod:`bot.desk.broadcasts` edits it).
The dialogue's step is kept in the database (aiogram's FSM on SQLite), so it survives a restart.

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`, messages and presses): for
anyone else /broadcast is an unknown command and the buttons are out of date; nothing changes.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.desk import broadcasts as desk
from bot.desk.broadcasts import BroadcastDesk, audience_words, callback, keyboard
from bot.telegram.formatting import Bold, Text, as_list, sizeof
from bot.telegram.i18n import current_language, name_of
from bot.telegram.post_html import checked_html
from handlers.context import answer_stale, message_of, send, show
from handlers.filters import IsAdmin, on_loop

MAX_MESSAGE = 4096
AUDIENCE_PREFIX = "bca"
"""Audience buttons: ``bca:all``, ``bca:r:<region code>``, ``bca:x`` (stop the dialogue)."""


class BroadcastForm(StatesGroup):
    audience = State()
    text = State()


def _audience_buttons(codes: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    rows = [[(_("Every reader"), f"{AUDIENCE_PREFIX}:all")]]
    rows += [[(name, f"{AUDIENCE_PREFIX}:r:{code}")] for code, name in codes]
    rows.append([(_("Cancel"), f"{AUDIENCE_PREFIX}:x")])
    return rows


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


async def cmd_broadcast(message: Message, state: FSMContext, broadcasts: BroadcastDesk) -> None:
    await state.set_state(BroadcastForm.audience)
    await state.set_data({})
    popular = await broadcasts.popular_regions()
    text = as_list(
        Bold(_("Broadcast: who should get it?")),
        _(
            "Press «Every reader», a region, or write region names separated by commas"
            " (e.g. Иркутская область, Липецк)."
        ),
    )
    buttons = _audience_buttons([(region.code, name_of(region)) for region in popular])
    await send(message, text, _markup(buttons))


async def _ask_text(
    message: Message, state: FSMContext, codes: list[str], broadcasts: BroadcastDesk
) -> None:
    await state.set_state(BroadcastForm.text)
    await state.set_data({"regions": codes})
    audience = audience_words(codes, broadcasts.regions)
    await send(
        message,
        as_list(
            _("To: {audience}.").format(audience=audience),
            _("Now send the announcement's text (your formatting is kept)."),
        ),
    )


async def on_audience_button(
    query: CallbackQuery, state: FSMContext, broadcasts: BroadcastDesk
) -> None:
    message = message_of(query)
    parts = (query.data or "").split(":")
    if message is None or await state.get_state() != BroadcastForm.audience.state:
        await answer_stale(query)
        return
    if parts[1:] == ["x"]:
        await state.clear()
        await query.answer()
        await show(message, Text(_("Broadcast cancelled; nothing was sent.")), None)
        return
    if parts[1:] == ["all"]:
        codes: list[str] = []
    elif len(parts) == 3 and parts[1] == "r" and parts[2] in broadcasts.regions:  # noqa: PLR2004
        codes = [parts[2]]
    else:
        await answer_stale(query)
        return
    await query.answer()
    await show(
        message,
        Text(_("To: {audience}.").format(audience=audience_words(codes, broadcasts.regions))),
        None,
    )
    await _ask_text(message, state, codes, broadcasts)


async def on_audience_text(message: Message, state: FSMContext, broadcasts: BroadcastDesk) -> None:
    choice = broadcasts.resolve(message.text or "")
    if choice.unknown or not choice.regions:
        unknown = ", ".join(f"«{name}»" for name in choice.unknown) or "—"
        await send(
            message,
            Text(
                _(
                    "I do not know the region {names}: write its name differently, or press"
                    " a button."
                ).format(names=unknown)
            ),
        )
        return
    await _ask_text(message, state, [region.code for region in choice.regions], broadcasts)


async def on_text(message: Message, state: FSMContext, broadcasts: BroadcastDesk) -> None:
    if message.from_user is None:
        return
    source = message.html_text if (message.text or message.caption) else ""
    if not message.text:
        await send(message, Text(_("Send the announcement as a text message.")))
        return
    body = checked_html(source)
    if not body.plain().strip():
        await send(message, Text(_("Send the announcement as a text message.")))
        return
    length = sizeof(body.plain())
    if length > MAX_MESSAGE:
        await send(
            message,
            Text(
                _(
                    "Too long: {length} characters of {limit}. Shorten it and send it again."
                ).format(length=length, limit=MAX_MESSAGE)
            ),
        )
        return
    data = await state.get_data()
    codes = [str(code) for code in data.get("regions", [])]
    await state.clear()
    draft = await broadcasts.draft(
        message.from_user.id, body.as_html(), codes, language=current_language()
    )
    await send(message, body)  # the preview: exactly what readers will get
    audience = audience_words(codes, broadcasts.regions)
    if draft.audience == 0:
        await broadcasts.drop(message.from_user.id, draft.id)
        await send(
            message,
            Text(_("Nobody to send it to: {audience} has no readers.").format(audience=audience)),
        )
        return
    confirm = as_list(
        Bold(_("Above is the announcement as readers will see it.")),
        _("It will reach {count} chats ({audience}). Send it?").format(
            count=desk.group_digits(draft.audience, current_language()), audience=audience
        ),
    )
    buttons = [
        (_("Send"), callback(desk.ACTION_GO, draft.id)),
        (_("Cancel"), callback(desk.ACTION_DROP, draft.id)),
    ]
    await send(message, confirm, keyboard(buttons))


async def on_broadcast_button(query: CallbackQuery, broadcasts: BroadcastDesk) -> None:
    message = message_of(query)
    parts = (query.data or "").split(":")
    if (
        message is None
        or len(parts) != 3
        or parts[1] not in desk.ACTIONS
        or not parts[2].isdigit()
    ):  # noqa: PLR2004
        await answer_stale(query)
        return
    action, broadcast_id, actor = parts[1], int(parts[2]), query.from_user.id
    if action == desk.ACTION_DROP:
        if not await broadcasts.drop(actor, broadcast_id):
            await answer_stale(query)
            return
        await query.answer()
        await show(message, Text(_("Broadcast cancelled; nothing was sent.")), None)
        return
    if action == desk.ACTION_GO:
        started = await broadcasts.start(
            actor, broadcast_id, chat_id=message.chat.id, message_id=message.message_id
        )
        done = started is not None
    elif action == desk.ACTION_PAUSE:
        done = await broadcasts.pause(actor, broadcast_id)
    elif action == desk.ACTION_RESUME:
        done = await broadcasts.resume(actor, broadcast_id)
    else:
        done = await broadcasts.cancel(actor, broadcast_id) is not None
    if not done:
        await answer_stale(query)
        return
    await query.answer()
    await broadcasts.refresh(broadcast_id)


def build_router() -> Router:
    """A fresh /broadcast router: the admin guard on messages and presses, then the handlers."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin(), on_loop(F.chat.type == ChatType.PRIVATE))
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(on_audience_text, StateFilter(BroadcastForm.audience), on_loop(F.text))
    router.message.register(on_text, StateFilter(BroadcastForm.text))
    router.callback_query.register(
        on_audience_button, on_loop(F.data.startswith(f"{AUDIENCE_PREFIX}:"))
    )
    router.callback_query.register(
        on_broadcast_button, on_loop(F.data.startswith(f"{desk.CALLBACK_PREFIX}:"))
    )
    return router
