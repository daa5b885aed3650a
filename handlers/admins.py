"""/admins: who runs the desk. Owners (``ADMIN_IDS``) see the list, add editors and remove them
with buttons; editors see the list only.

Adding an editor, for an owner, in a private chat with the bot:

* ``/admins add 12345`` (the person's numeric Telegram id);
* forward any message of the person to the bot, then press «Сделать редактором»;
* or reply ``/admins add`` to such a forwarded message.

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`, owners and editors, for
messages AND button presses): for anyone else /admins is an unknown command and a button is
out of date. Owner-only handlers add :class:`handlers.filters.IsOwner`; an editor who tries
them is told that only owners can, and :class:`bot.desk.roles.Roles` checks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    User,
)
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.desk.roles import (
    AlreadyEditor,
    AlreadyOwner,
    Editor,
    NotAnEditor,
    NotAnOwner,
    RoleError,
    Roles,
)
from bot.telegram.formatting import Bold, Code, Text, as_list
from handlers.context import answer_stale, message_of, send, show
from handlers.filters import IsAdmin, IsOwner, on_loop
from handlers.render import echo

MAX_USER_ID = 10**13  # Telegram ids fit in 52 bits; a bigger number is a typo
UserId = Annotated[int, Field(ge=1, le=MAX_USER_ID)]
MAX_NAME = 64


class Act(StrEnum):
    ADD = "a"
    REMOVE = "r"


class EditorAction(CallbackData, prefix="adm"):
    """Make ``user`` an editor (``a``) or take the role away (``r``): owners only."""

    act: Act
    user: UserId


# what was asked: pure parsing, tested without I/O -------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """Someone an owner pointed at: their id and, when Telegram showed it, their name."""

    user_id: int
    name: str | None


@dataclass(frozen=True, slots=True)
class Hidden:
    """A forwarded message whose author hides their account: only their name is known."""

    name: str


@dataclass(frozen=True, slots=True)
class Request:
    """``/admins …``: ``act`` None lists; ``target`` None means "the replied-to person"."""

    act: Act | None
    target: int | None


class UsageError(ValueError):
    """``/admins`` written wrong."""


def full_name(user: User) -> str:
    return user.full_name[:MAX_NAME]


def person_of(message: Message) -> Person | Hidden | None:
    """Whom a message points at: the author of a forwarded message, else a person's message
    itself (not the bot's, not one's own in a private chat: ``None`` then)."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        return None if user.is_bot else Person(user.id, full_name(user))
    if isinstance(origin, MessageOriginHiddenUser):
        return Hidden(origin.sender_user_name[:MAX_NAME])
    if origin is not None:
        return None  # a channel's or a group's post: not a person
    sender = message.from_user
    if sender is None or sender.is_bot or message.chat.type == ChatType.PRIVATE:
        return None
    return Person(sender.id, full_name(sender))


def parse_request(arguments: str | None) -> Request:
    """``""`` → list; ``add 123`` / ``remove 123``; ``add`` alone (a reply). Raises
    :class:`UsageError`."""
    words = (arguments or "").split()
    if not words:
        return Request(None, None)
    verbs = {"add": Act.ADD, "remove": Act.REMOVE, "del": Act.REMOVE, "rm": Act.REMOVE}
    act = verbs.get(words[0].lower())
    if act is None or len(words) > 2:  # noqa: PLR2004 (verb and id)
        raise UsageError(words[0])
    if len(words) == 1:
        return Request(act, None)
    word = words[1].removeprefix("id")
    if not word.isdigit() or not 1 <= int(word) <= MAX_USER_ID:
        raise UsageError(words[1])
    return Request(act, int(word))


# texts ----------------------------------------------------------------------------------------


def usage() -> str:
    return _(
        "Write it like: /admins add 123456789 (the person's numeric id), or forward me a message"
        " of theirs. To remove an editor: /admins remove 123456789, or the button in /admins."
    )


def owners_only() -> str:
    return _("Only the bot's owners (ADMIN_IDS) can add and remove editors.")


def _who(user_id: int, name: str | None) -> Text:
    return Text(name, " (", Code(str(user_id)), ")") if name else Code(str(user_id))


def admins_text(owner_ids: frozenset[int], editors: list[Editor], *, for_owner: bool) -> Text:
    owners = [Text("• ", Code(str(user_id))) for user_id in sorted(owner_ids)]
    listed = [
        Text("• ", _who(editor.user_id, editor.name), " · ", editor.added_at.strftime("%Y-%m-%d"))
        for editor in editors
    ]
    lines: list[Text | str] = [  # as_list takes both
        Bold(_("Owners (ADMIN_IDS):")),
        *owners,
        Bold(_("Editors:")),
        *(listed or [Text(_("none yet"))]),
    ]
    if for_owner:
        lines += ["", usage()]
    return as_list(*lines)


def admins_keyboard(editors: list[Editor]) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(
                text=_("❌ Remove {name}").format(
                    name=echo(editor.name or str(editor.user_id))[:40]
                ),
                callback_data=EditorAction(act=Act.REMOVE, user=editor.user_id).pack(),
            )
        ]
        for editor in editors
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def role_error_text(error: RoleError) -> str:
    if isinstance(error, AlreadyEditor):
        return _("{user_id} is an editor already.").format(user_id=error.user_id)
    if isinstance(error, AlreadyOwner):
        text = _("{user_id} is an owner (ADMIN_IDS): owners can do everything editors can.")
        return text.format(user_id=error.user_id)
    if isinstance(error, NotAnEditor):
        return _("{user_id} is not an editor.").format(user_id=error.user_id)
    if isinstance(error, NotAnOwner):
        return owners_only()
    return usage()


def added_text(editor: Editor) -> Text:
    return Text(
        _("Added an editor:"),
        " ",
        _who(editor.user_id, editor.name),
        ". ",
        _("They can use the desk now: /stats, and /admins to see who else can."),
    )


def removed_text(editor: Editor) -> Text:
    return Text(_("No longer an editor:"), " ", _who(editor.user_id, editor.name), ".")


# handlers -------------------------------------------------------------------------------------


async def _name_of(bot: Bot, user_id: int) -> str | None:
    """The person's name, when Telegram will tell (they have written to the bot)."""
    try:
        chat = await bot.get_chat(user_id)
    except (TelegramBadRequest, TelegramForbiddenError):
        return None
    return chat.full_name[:MAX_NAME] if chat.type == ChatType.PRIVATE else None


async def cmd_admins(message: Message, command: CommandObject, roles: Roles, bot: Bot) -> None:
    assert message.from_user is not None  # IsAdmin lets only a person's message through
    actor = message.from_user.id
    try:
        request = parse_request(command.args)
    except UsageError:
        await send(message, Text(usage()))
        return
    if request.act is None:
        editors = await roles.editors()
        owner = roles.is_owner(actor)
        await send(
            message,
            admins_text(roles.owner_ids, editors, for_owner=owner),
            admins_keyboard(editors) if owner else None,
        )
        return
    if not roles.is_owner(actor):
        await send(message, Text(owners_only()))
        return
    target: Person | Hidden | None = None
    if request.target is not None:
        target = Person(request.target, None)
    elif message.reply_to_message is not None:
        target = person_of(message.reply_to_message)
    if isinstance(target, Hidden):
        await send(message, Text(hidden_text(target)))
        return
    if target is None:
        await send(message, Text(usage()))
        return
    await _change(message, roles, actor, request.act, target, bot=bot)


async def _change(
    message: Message, roles: Roles, actor: int, act: Act, target: Person, *, bot: Bot
) -> None:
    try:
        if act is Act.ADD:
            name = target.name or await _name_of(bot, target.user_id)
            editor = await roles.add_editor(actor, target.user_id, name=name)
            await send(message, added_text(editor))
        else:
            editor = await roles.remove_editor(actor, target.user_id)
            await send(message, removed_text(editor))
    except RoleError as error:
        await send(message, Text(role_error_text(error)))


def hidden_text(hidden: Hidden) -> str:
    return _(
        "{name} hides their account in forwarded messages, so I cannot tell who it is. Ask them"
        " for their numeric id (for example from @userinfobot) and send /admins add ID."
    ).format(name=hidden.name)


async def on_forwarded_person(message: Message) -> None:
    """An owner forwarded someone's message: offer to make them an editor."""
    target = person_of(message)
    if isinstance(target, Hidden):
        await send(message, Text(hidden_text(target)))
        return
    if target is None:
        return
    button = InlineKeyboardButton(
        text=_("✅ Make an editor"),
        callback_data=EditorAction(act=Act.ADD, user=target.user_id).pack(),
    )
    await send(
        message,
        Text(_("Make this person an editor?"), " ", _who(target.user_id, target.name)),
        InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def on_editor_action(
    query: CallbackQuery, callback_data: EditorAction, roles: Roles, bot: Bot
) -> None:
    """A press of «Сделать редактором» or «Удалить …»: checked again here (IsOwner)."""
    message = message_of(query)
    if message is None:
        await answer_stale(query)
        return
    actor = query.from_user.id
    try:
        if callback_data.act is Act.ADD:
            name = await _name_of(bot, callback_data.user)
            editor = await roles.add_editor(actor, callback_data.user, name=name)
            await query.answer(_("Added."))
            await show(message, added_text(editor), None)
        else:
            editor = await roles.remove_editor(actor, callback_data.user)
            await query.answer(_("Removed."))
            editors = await roles.editors()
            content = as_list(
                removed_text(editor), "", admins_text(roles.owner_ids, editors, for_owner=True)
            )
            await show(message, content, admins_keyboard(editors))
    except RoleError as error:
        await query.answer(role_error_text(error), show_alert=True)


async def on_editor_action_by_editor(query: CallbackQuery) -> None:
    await query.answer(owners_only(), show_alert=True)


def build_router() -> Router:
    """A fresh /admins router: the admin guard on messages and presses, then the handlers."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin(), on_loop(F.chat.type == ChatType.PRIVATE))
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_admins, Command("admins"))
    router.message.register(
        on_forwarded_person,
        IsOwner(),
        StateFilter(None),  # not in the middle of a dialogue (a draft post takes forwards)
        on_loop(F.forward_origin.type.in_({"user", "hidden_user"})),
    )
    router.callback_query.register(on_editor_action, IsOwner(), EditorAction.filter())
    router.callback_query.register(on_editor_action_by_editor, EditorAction.filter())
    return router
