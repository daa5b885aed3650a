"""/post and /posts: editors write, preview, publish or schedule news, and edit or retract
what was published (the service: :class:`bot.desk.posts.PostDesk`).

``/post`` is a dialogue (aiogram FSM, its state in SQLite, so a draft survives a restart):
title → text (the editor's formatting kept, re-checked) → an optional photo → regions
(suggested by the tagger; buttons to drop one, a typed name to add one) → section → topics
(suggested; buttons) → urgent or not → the preview, which is exactly the card subscribers
get, with buttons: publish now, schedule, edit a field, cancel. Scheduling asks for a date
and time on the editor's clock (:func:`bot.desk.posts.parse_when`). ``/cancel`` drops the
dialogue at any step.

``/posts`` lists drafts, scheduled and recent published posts with their delivered /
pending / failed counts, and buttons to edit or retract a published post and to cancel a
scheduled one.

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`, messages and presses, private
chats only): for anyone else /post and /posts are unknown commands and the buttons are out of
date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Container
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.handler import CallbackType
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.desk.posts import (
    BadTime,
    PostDesk,
    PostError,
    PostNotFound,
    TooLong,
    WrongState,
    local_when,
    parse_when,
)
from bot.domain.posts import Post, PostFields, PostLine
from bot.telegram.formatting import Bold, Code, Italic, Text, as_list
from bot.telegram.i18n import current_language, name_of
from handlers.context import answer_stale, drop_keyboard, message_of, send, show
from handlers.filters import IsAdmin, on_loop
from handlers.render import echo

MAX_TITLE = 300
BUTTON_TITLE = 28


class PostForm(StatesGroup):
    title = State()
    text = State()
    photo = State()
    regions = State()
    section = State()
    topics = State()
    urgent = State()
    preview = State()
    when = State()
    new_title = State()
    new_text = State()


class PostAction(CallbackData, prefix="pst"):
    """A press in the dialogue or in /posts: ``act`` what, ``post`` which, ``value`` a code."""

    act: str
    post: int = 0
    value: str = ""


FIELDS = ("title", "text", "photo", "regions", "section", "topics", "urgent")


# state <-> fields -----------------------------------------------------------------------------


def fields_of(data: dict[str, Any]) -> PostFields:
    return PostFields(
        title=str(data.get("title", "")),
        body_html=str(data.get("body", "")),
        photo_file_id=data.get("photo"),
        regions=tuple(data.get("regions", ())),
        section=data.get("section"),
        topics=tuple(data.get("topics", ())),
        urgent=bool(data.get("urgent", False)),
    )


def button(text: str, act: str, *, post: int = 0, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PostAction(act=act, post=post, value=value).pack()
    )


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[index : index + 2] for index in range(0, len(buttons), 2)]


# texts ----------------------------------------------------------------------------------------


def toggle(chosen: list[str], value: str, known: Container[str]) -> None:
    """A press on a many-choice button: ``value`` leaves ``chosen`` if there, else joins it if
    it is ``known`` (a stale or forged value is ignored)."""
    if value in chosen:
        chosen.remove(value)
    elif value in known:
        chosen.append(value)


def cancel_hint() -> str:
    return _("/cancel drops the draft.")


def ask_title_text() -> Text:
    return as_list(Bold(_("A new post.")), _("Send its title."), Italic(cancel_hint()))


def ask_text_text() -> Text:
    return Text(
        _("Now the text of the news item. Your formatting (bold, italics, links) is kept.")
    )


def ask_photo_text() -> Text:
    return Text(_("Send a photo for the post, or press «No photo»."))


def regions_text(desk: PostDesk, chosen: list[str]) -> Text:
    names = [name_of(desk.names.regions[code]) for code in chosen if code in desk.names.regions]
    return as_list(
        Bold(_("Regions:")) if names else Bold(_("Regions: none (the post goes to everyone)")),
        ", ".join(names) if names else "",
        _("Press a region to drop it; write a region's name to add one. Then «Done»."),
    )


def regions_keyboard(
    desk: PostDesk, chosen: list[str], offered: list[str]
) -> InlineKeyboardMarkup:
    buttons = [
        button(
            ("✅ " if code in chosen else "▫️ ") + name_of(desk.names.regions[code]),
            "reg",
            value=code,
        )
        for code in offered
        if code in desk.names.regions
    ]
    return keyboard([*pairs(buttons), [button(_("Done →"), "regok")]])


def section_keyboard(desk: PostDesk) -> InlineKeyboardMarkup:
    buttons = [
        button(name_of(section), "sec", value=slug)
        for slug, section in desk.names.sections.items()
    ]
    return keyboard(pairs(buttons))


def topics_text(desk: PostDesk, chosen: list[str]) -> Text:
    names = [name_of(desk.names.topics[slug]) for slug in chosen if slug in desk.names.topics]
    return as_list(
        Bold(_("Topics:")),
        ", ".join(names) if names else _("none"),
        _("Press a topic to add or drop it. Then «Done»."),
    )


def topics_keyboard(desk: PostDesk, chosen: list[str]) -> InlineKeyboardMarkup:
    buttons = [
        button(("✅ " if slug in chosen else "▫️ ") + name_of(topic), "top", value=slug)
        for slug, topic in desk.names.topics.items()
    ]
    return keyboard([*pairs(buttons), [button(_("Done →"), "topok")]])


def urgent_keyboard() -> InlineKeyboardMarkup:
    return keyboard(
        [[button(_("🔴 Urgent"), "urg", value="1"), button(_("Regular"), "urg", value="0")]]
    )


def preview_keyboard(post_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [button(_("✅ Publish now"), "pub", post=post_id)],
            [button(_("🕒 Schedule"), "sch", post=post_id)],
            [
                button(_("✏️ Edit a field"), "edit", post=post_id),
                button(_("✖️ Cancel"), "cancel", post=post_id),
            ],
        ]
    )


def fields_keyboard(post_id: int) -> InlineKeyboardMarkup:
    labels = {
        "title": _("Title"),
        "text": _("Text"),
        "photo": _("Photo"),
        "regions": _("Regions"),
        "section": _("Section"),
        "topics": _("Topics"),
        "urgent": _("Urgency"),
    }
    buttons = [button(labels[name], "fld", post=post_id, value=name) for name in FIELDS]
    return keyboard(pairs(buttons))


def too_long_text(error: TooLong) -> Text:
    return Text(
        _(
            "The post does not fit: {length} characters where Telegram allows {limit}. Shorten"
            " the text or drop the photo (a photo's caption holds 1024)."
        ).format(length=error.length, limit=error.limit)
    )


def bad_time_text(error: BadTime, zone: str) -> Text:
    if error.reason == "past":
        return Text(_("That moment has passed. Write a time ahead, e.g. «tomorrow 9:00»."))
    if error.reason == "far":
        return Text(_("That is more than a year ahead. Write a nearer date."))
    return when_prompt(zone, again=True)


def when_prompt(zone: str, *, again: bool = False) -> Text:
    head = _("I could not read that time.") if again else _("When should it go out?")
    return as_list(
        Bold(head),
        _(
            "Write the date and time on your clock ({zone}), e.g. «05.12 09:30»,"
            " «tomorrow 9:00» or «18:45»."
        ).format(zone=zone),
    )


def state_name(post: Post, zone: str) -> str:
    if post.state == "draft":
        return _("draft")
    if post.state == "scheduled" and post.publish_at is not None:
        return _("scheduled for {when}").format(when=local_when(post.publish_at, zone))
    if post.state == "published" and post.published_at is not None:
        return _("published {when}").format(when=local_when(post.published_at, zone))
    if post.state == "retracted":
        return _("retracted")
    return _("cancelled")


def post_line(line: PostLine, zone: str) -> Text:
    post = line.post
    parts: list[Text | str] = [
        Code(f"#{post.id}"),
        " · ",
        state_name(post, zone),
        " · ",
        Bold(echo(post.fields.title or _("(untitled)"))[:80]),
    ]
    if post.fields.urgent:
        parts.insert(0, "🔴 ")
    if post.state == "published":
        counts = line.counts
        parts.append(
            "\n"
            + _("delivered {delivered} · pending {pending} · failed {failed}").format(
                delivered=counts.delivered, pending=counts.pending, failed=counts.failed
            )
        )
    elif post.state == "retracted":
        parts.append("\n" + _("messages withdrawn: {count}").format(count=line.counts.delivered))
    return Text(*parts)


def posts_view(lines: list[PostLine], zone: str) -> tuple[Text, InlineKeyboardMarkup | None]:
    if not lines:
        return Text(_("No posts yet. /post writes one.")), None
    rows: list[list[InlineKeyboardButton]] = []
    for line in lines:
        post = line.post
        if post.state == "published":
            rows.append(
                [
                    button(_("✏️ Edit #{id}").format(id=post.id), "ed", post=post.id),
                    button(_("🗑 Retract #{id}").format(id=post.id), "rt", post=post.id),
                ]
            )
        elif post.state == "scheduled":
            rows.append(
                [button(_("✖️ Unschedule #{id}").format(id=post.id), "unsch", post=post.id)]
            )
    content = as_list(Bold(_("Posts")), *(post_line(line, zone) for line in lines), sep="\n\n")
    return content, keyboard(rows) if rows else None


def error_text(error: PostError) -> str:
    if isinstance(error, PostNotFound):
        return _("There is no such post.")
    if isinstance(error, WrongState):
        return _("The post is {state} already: nothing was changed.").format(state=error.state)
    return _("That cannot be done with this post.")


# the dialogue ---------------------------------------------------------------------------------


async def cmd_post(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(PostForm.title)
    await send(message, ask_title_text())


async def cmd_cancel(message: Message, state: FSMContext, posts: PostDesk) -> None:
    data = await state.get_data()
    current = await state.get_state()
    await state.clear()
    post_id = data.get("post_id")
    if post_id and current not in (PostForm.new_title.state, PostForm.new_text.state):
        assert message.from_user is not None
        with contextlib.suppress(PostError):  # published or cancelled meanwhile: nothing to drop
            await posts.cancel(message.from_user.id, int(post_id))
    await send(message, Text(_("Cancelled. /post starts a new one.")))


async def on_title(message: Message, state: FSMContext, posts: PostDesk) -> None:
    title = (message.text or "").strip()
    if not title:
        await send(message, Text(_("The title is text: send it as a message.")))
        return
    await state.update_data(title=title[:MAX_TITLE])
    await _next(message, state, posts, "title")


async def on_text(message: Message, state: FSMContext, posts: PostDesk) -> None:
    if not message.text:
        await send(message, Text(_("The text is a text message; a photo comes next.")))
        return
    body = message.html_text
    data = await state.update_data(body=body)
    if "regions" not in data:  # suggested once; the editor's choice is kept on later edits
        regions, topics = posts.suggest(str(data.get("title", "")), body)
        await state.update_data(regions=list(regions), offered=list(regions), topics=list(topics))
    await _next(message, state, posts, "text")


async def on_photo(message: Message, state: FSMContext, posts: PostDesk) -> None:
    if not message.photo:
        await send(message, ask_photo_text(), keyboard([[button(_("No photo"), "nophoto")]]))
        return
    await state.update_data(photo=message.photo[-1].file_id)
    await _next(message, state, posts, "photo")


async def on_no_photo(
    query: CallbackQuery, state: FSMContext, posts: PostDesk, message: Message
) -> None:
    await query.answer()
    await drop_keyboard(message)
    await state.update_data(photo=None)
    await _next(message, state, posts, "photo")


async def on_region_typed(message: Message, state: FSMContext, posts: PostDesk) -> None:
    query = (message.text or "").strip().casefold()
    names = posts.names.regions
    found = [
        code
        for code, region in names.items()
        if query in (code.casefold(), code.casefold().removeprefix("ru-"))
        or region.name.casefold().startswith(query)
        or region.name_en.casefold().startswith(query)
    ]
    if not query or not found:
        await send(
            message,
            Text(
                _("No region is called «{query}». Try its name, e.g. «Irkutsk».").format(
                    query=echo(message.text or "")
                )
            ),
        )
        return
    data = await state.get_data()
    chosen = list(data.get("regions", []))
    offered = list(data.get("offered", []))
    for code in found[:3]:
        if code not in chosen:
            chosen.append(code)
        if code not in offered:
            offered.append(code)
    await state.update_data(regions=chosen, offered=offered)
    await send(message, regions_text(posts, chosen), regions_keyboard(posts, chosen, offered))


async def on_region_press(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    data = await state.get_data()
    chosen = list(data.get("regions", []))
    offered = list(data.get("offered", []))
    toggle(chosen, callback_data.value, posts.names.regions)
    await state.update_data(regions=chosen)
    await query.answer()
    await show(message, regions_text(posts, chosen), regions_keyboard(posts, chosen, offered))


async def on_regions_done(
    query: CallbackQuery, state: FSMContext, posts: PostDesk, message: Message
) -> None:
    await _choice_done(query, message, state, posts, "regions")


async def on_section(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    if callback_data.value not in posts.names.sections:
        await answer_stale(query)
        return
    await query.answer()
    await state.update_data(section=callback_data.value)
    section = posts.names.sections[callback_data.value]
    await show(message, Text(_("Section:"), " ", Bold(name_of(section))), None)
    await _next(message, state, posts, "section")


async def on_topic_press(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    data = await state.get_data()
    chosen = list(data.get("topics", []))
    toggle(chosen, callback_data.value, posts.names.topics)
    await state.update_data(topics=chosen)
    await query.answer()
    await show(message, topics_text(posts, chosen), topics_keyboard(posts, chosen))


async def on_topics_done(
    query: CallbackQuery, state: FSMContext, posts: PostDesk, message: Message
) -> None:
    await _choice_done(query, message, state, posts, "topics")


async def _choice_done(
    query: CallbackQuery, message: Message, state: FSMContext, posts: PostDesk, field: str
) -> None:
    """«Done» under a many-choice question (``field``): its buttons go, the next question comes."""
    await query.answer()
    await drop_keyboard(message)
    await _next(message, state, posts, field)


async def on_urgent(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    urgent = callback_data.value == "1"
    await query.answer()
    await state.update_data(urgent=urgent)
    await show(
        message, Text(_("🔴 Urgent: goes out first.") if urgent else _("A regular post.")), None
    )
    await _next(message, state, posts, "urgent")


async def _ask(message: Message, state: FSMContext, posts: PostDesk, field: str) -> None:
    """Put the question of ``field``."""
    data = await state.get_data()
    if field == "title":
        await state.set_state(PostForm.title)
        await send(message, Text(_("Send the new title.")))
    elif field == "text":
        await state.set_state(PostForm.text)
        await send(message, ask_text_text())
    elif field == "photo":
        await state.set_state(PostForm.photo)
        await send(message, ask_photo_text(), keyboard([[button(_("No photo"), "nophoto")]]))
    elif field == "regions":
        await state.set_state(PostForm.regions)
        chosen = list(data.get("regions", []))
        offered = list(dict.fromkeys([*data.get("offered", []), *chosen]))
        await send(message, regions_text(posts, chosen), regions_keyboard(posts, chosen, offered))
    elif field == "section":
        await state.set_state(PostForm.section)
        await send(message, Text(_("The section:")), section_keyboard(posts))
    elif field == "topics":
        await state.set_state(PostForm.topics)
        chosen = list(data.get("topics", []))
        await send(message, topics_text(posts, chosen), topics_keyboard(posts, chosen))
    else:
        await state.set_state(PostForm.urgent)
        await send(
            message,
            Text(_("Is it urgent? Urgent posts go out before everything else.")),
            urgent_keyboard(),
        )


async def _next(message: Message, state: FSMContext, posts: PostDesk, done: str) -> None:
    """``done`` was answered: the next question, or the preview (after an edit, at once)."""
    data = await state.get_data()
    if data.get("editing") or done == FIELDS[-1]:
        await _preview(message, state, posts)
        return
    await _ask(message, state, posts, FIELDS[FIELDS.index(done) + 1])


async def _preview(message: Message, state: FSMContext, posts: PostDesk) -> None:
    """Save the draft and show exactly what subscribers will get, with the buttons."""
    data = await state.get_data()
    actor = message.chat.id  # a private chat's id is its person's
    fields = fields_of(data)
    zone = await posts.zone_of(actor)
    try:
        card = posts.preview(fields, language=current_language(), zone=zone)
    except TooLong as error:
        await state.update_data(editing=True)
        await state.set_state(PostForm.preview)
        await send(message, too_long_text(error), fields_keyboard(int(data.get("post_id") or 0)))
        return
    try:
        post_id = await posts.save_draft(actor, data.get("post_id"), fields)
    except PostError as error:
        await state.clear()
        await send(message, Text(error_text(error)))
        return
    await state.update_data(post_id=post_id, editing=True)
    await state.set_state(PostForm.preview)
    bot = message.bot
    assert bot is not None
    markup = preview_keyboard(post_id)
    if card.photo_url is not None and card.caption_html is not None:
        await bot.send_photo(
            message.chat.id,
            photo=card.photo_url,
            caption=card.caption_html,
            parse_mode="HTML",
            reply_markup=markup,
        )
    else:
        await bot.send_message(
            message.chat.id,
            card.html,
            parse_mode="HTML",
            reply_markup=markup,
            link_preview_options=(
                LinkPreviewOptions(url=card.preview_url)
                if card.preview_url
                else LinkPreviewOptions(is_disabled=True)
            ),
        )


async def on_edit_menu(query: CallbackQuery, callback_data: PostAction, message: Message) -> None:
    await query.answer()
    await send(message, Text(_("Which field?")), fields_keyboard(callback_data.post))


async def on_field(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    if callback_data.value not in FIELDS:
        await answer_stale(query)
        return
    await query.answer()
    await drop_keyboard(message)
    await state.update_data(editing=True)
    await _ask(message, state, posts, callback_data.value)


async def on_publish(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    try:
        done = await posts.publish(query.from_user.id, callback_data.post)
    except PostError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer(_("Published."))
    await state.clear()
    await drop_keyboard(message)
    await send(
        message,
        Text(
            _("Published as #{id}. Deliveries planned: {count}. /posts shows how they go.").format(
                id=done.post_id, count=done.planned
            )
        ),
    )


async def on_schedule(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    await query.answer()
    await state.update_data(post_id=callback_data.post)
    await state.set_state(PostForm.when)
    await send(message, when_prompt(await posts.zone_of(query.from_user.id)))


async def on_when(message: Message, state: FSMContext, posts: PostDesk) -> None:
    assert message.from_user is not None
    zone = await posts.zone_of(message.from_user.id)
    try:
        at = parse_when(message.text or "", now=posts.now(), zone=zone)
    except BadTime as error:
        await send(message, bad_time_text(error, zone))
        return
    data = await state.get_data()
    try:
        post = await posts.schedule(message.from_user.id, int(data.get("post_id") or 0), at)
    except PostError as error:
        await state.clear()
        await send(message, Text(error_text(error)))
        return
    await state.clear()
    assert post.publish_at is not None
    await send(
        message,
        Text(
            _(
                "Scheduled #{id} for {when} ({zone}). /posts lists it; it can be"
                " unscheduled there."
            ).format(id=post.id, when=local_when(post.publish_at, zone), zone=zone)
        ),
    )


async def on_cancel_press(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    await state.clear()
    if callback_data.post:
        try:
            await posts.cancel(query.from_user.id, callback_data.post)
        except PostError as error:
            await query.answer(error_text(error), show_alert=True)
            return
    await query.answer(_("Cancelled."))
    await drop_keyboard(message)
    await send(message, Text(_("Cancelled. /post starts a new one.")))


# /posts and what follows publishing -------------------------------------------------------------


async def cmd_posts(message: Message, posts: PostDesk) -> None:
    assert message.from_user is not None
    await send(message, *await _posts_listing(posts, message.from_user.id))


async def _posts_listing(
    posts: PostDesk, user_id: int
) -> tuple[Text, InlineKeyboardMarkup | None]:
    """The /posts listing in the time zone of ``user_id``."""
    zone = await posts.zone_of(user_id)
    return posts_view(await posts.posts(), zone)


async def on_unschedule(
    query: CallbackQuery, callback_data: PostAction, posts: PostDesk, message: Message
) -> None:
    try:
        await posts.cancel(query.from_user.id, callback_data.post)
    except PostError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer(_("Unscheduled."))
    await show(message, *await _posts_listing(posts, query.from_user.id))


async def on_edit_published(
    query: CallbackQuery,
    callback_data: PostAction,
    state: FSMContext,
    posts: PostDesk,
    message: Message,
) -> None:
    post = await posts.get(callback_data.post)
    if post is None or post.state != "published":
        await answer_stale(query)
        return
    await query.answer()
    await state.clear()
    await state.update_data(target=post.id)
    await state.set_state(PostForm.new_title)
    await send(
        message,
        as_list(
            Bold(_("Editing #{id}.").format(id=post.id)),
            _("Send the new title, or «-» to keep it:"),
            echo(post.fields.title),
        ),
    )


async def on_new_title(message: Message, state: FSMContext) -> None:
    title = (message.text or "").strip()
    if not title:
        await send(message, Text(_("The title is text: send it as a message.")))
        return
    await state.update_data(new_title=None if title == "-" else title[:MAX_TITLE])
    await state.set_state(PostForm.new_text)
    await send(message, Text(_("Now the new text (your formatting is kept), or «-» to keep it.")))


async def on_new_text(message: Message, state: FSMContext, posts: PostDesk) -> None:
    assert message.from_user is not None
    if not message.text:
        await send(message, Text(_("The text is a text message.")))
        return
    data = await state.get_data()
    post = await posts.get(int(data.get("target") or 0))
    if post is None:
        await state.clear()
        await send(message, Text(error_text(PostNotFound(0))))
        return
    new_body = None if message.text.strip() == "-" else message.html_text
    fields = PostFields(
        title=data.get("new_title") or post.fields.title,
        body_html=new_body if new_body is not None else post.fields.body_html,
        photo_file_id=post.fields.photo_file_id,
        regions=post.fields.regions,
        section=post.fields.section,
        topics=post.fields.topics,
        urgent=post.fields.urgent,
    )
    zone = await posts.zone_of(message.from_user.id)
    try:
        posts.preview(fields, language=current_language(), zone=zone)
        queued = await posts.edit(message.from_user.id, post.id, fields)
    except TooLong as error:
        await send(message, too_long_text(error))
        return
    except PostError as error:
        await state.clear()
        await send(message, Text(error_text(error)))
        return
    await state.clear()
    await send(
        message,
        Text(
            _("#{id} is changed. Messages to edit in chats and channels: {count}.").format(
                id=post.id, count=queued
            )
        ),
    )


async def on_retract_ask(
    query: CallbackQuery, callback_data: PostAction, posts: PostDesk, message: Message
) -> None:
    post = await posts.get(callback_data.post)
    if post is None or post.state != "published":
        await answer_stale(query)
        return
    await query.answer()
    await send(
        message,
        as_list(
            Bold(_("Retract #{id}?").format(id=post.id)),
            echo(post.fields.title),
            _(
                "Messages sent in the last 48 hours are deleted; older ones are changed to"
                " «The editors have withdrawn this news item.»"
            ),
        ),
        keyboard([[button(_("🗑 Yes, retract"), "rty", post=post.id)]]),
    )


async def on_retract(
    query: CallbackQuery, callback_data: PostAction, posts: PostDesk, message: Message
) -> None:
    try:
        queued = await posts.retract(query.from_user.id, callback_data.post)
    except PostError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer(_("Retracted."))
    await show(
        message,
        Text(
            _("#{id} is retracted. Messages to delete or mark: {count}.").format(
                id=callback_data.post, count=queued
            )
        ),
        None,
    )


async def under_message(query: CallbackQuery) -> dict[str, Message] | bool:
    """Filter: the button is under a message the bot can still touch, handed to the handler as
    ``message``; other presses fall through to :func:`on_out_of_step` (the stale answer)."""
    message = message_of(query)
    return False if message is None else {"message": message}


async def on_out_of_step(query: CallbackQuery) -> None:
    """A dialogue button pressed outside its step (an old message)."""
    await answer_stale(query)


_BUTTONS: tuple[tuple[str, State | None, CallbackType], ...] = (
    # (the button's act, the dialogue step it belongs to or None for any, its handler)
    ("nophoto", PostForm.photo, on_no_photo),
    ("reg", PostForm.regions, on_region_press),
    ("regok", PostForm.regions, on_regions_done),
    ("sec", PostForm.section, on_section),
    ("top", PostForm.topics, on_topic_press),
    ("topok", PostForm.topics, on_topics_done),
    ("urg", PostForm.urgent, on_urgent),
    ("pub", None, on_publish),
    ("sch", None, on_schedule),
    ("edit", None, on_edit_menu),
    ("fld", None, on_field),
    ("cancel", None, on_cancel_press),
    ("unsch", None, on_unschedule),
    ("ed", None, on_edit_published),
    ("rt", None, on_retract_ask),
    ("rty", None, on_retract),
)
"""Every button of the posting desk; any other press of a posts button is out of step."""


def build_router() -> Router:
    """A fresh posts router: the admin guard on messages and presses (private chats only),
    then the handlers."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin(), on_loop(F.chat.type == ChatType.PRIVATE))
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_post, Command("post"))
    router.message.register(cmd_posts, Command("posts"))
    router.message.register(cmd_cancel, Command("cancel"), StateFilter(PostForm))
    not_command = on_loop(~F.text.startswith("/"))
    router.message.register(on_title, StateFilter(PostForm.title), not_command)
    router.message.register(on_text, StateFilter(PostForm.text), not_command)
    router.message.register(on_photo, StateFilter(PostForm.photo), not_command)
    router.message.register(on_region_typed, StateFilter(PostForm.regions), not_command)
    router.message.register(on_when, StateFilter(PostForm.when), not_command)
    router.message.register(on_new_title, StateFilter(PostForm.new_title), not_command)
    router.message.register(on_new_text, StateFilter(PostForm.new_text), not_command)
    for act, step, handler in _BUTTONS:
        pressed = PostAction.filter(F.act == act)
        if step is None:
            router.callback_query.register(handler, pressed, under_message)
        else:
            router.callback_query.register(handler, StateFilter(step), pressed, under_message)
    router.callback_query.register(on_out_of_step, PostAction.filter())
    return router
