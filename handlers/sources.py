"""Sources, for the desk's admins: /sources (state, pause, resume, remove, fetch now),
/source_add URL [name] (a dialogue with a test fetch), an .opml document (import) and /export.

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`, owners and editors): for anyone
else the commands are unknown, the buttons out of date and a document just a message; nothing
changes. The dialogue's state is aiogram's FSM, stored in SQLite (a restart keeps it).
"""

from __future__ import annotations

import io
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiohttp import ClientError

from bot.desk.sources import (
    MAX_OPML_BYTES,
    NotFound,
    OpmlRefused,
    Proposal,
    ProposalInvalid,
    RemoveRefused,
    SourceDesk,
    TakenError,
    default_name,
)
from bot.domain.errors import FeedError
from bot.domain.models import SourceKind
from bot.readers.catalog import Catalog
from handlers import source_views as views
from handlers.context import answer_stale, message_of, send, show
from handlers.filters import IsAdmin, on_loop

log = logging.getLogger(__name__)

PRIVATE = on_loop(F.chat.type == ChatType.PRIVATE)
PLAIN_TEXT = on_loop(F.text & ~F.text.startswith("/"))


class SourceAdd(StatesGroup):
    kind = State()
    selectors = State()
    region = State()
    section = State()
    confirm = State()


# the list ------------------------------------------------------------------------------------


async def cmd_sources(message: Message, source_desk: SourceDesk) -> None:
    text, markup = views.sources_view(await source_desk.overview(), 0)
    await send(message, text, markup)


async def _refresh(message: Message, source_desk: SourceDesk, page: int) -> None:
    text, markup = views.sources_view(await source_desk.overview(), page)
    await show(message, text, markup)


async def on_sources_page(
    query: CallbackQuery, callback_data: views.SourcesPage, source_desk: SourceDesk
) -> None:
    message = message_of(query)
    if message is None:
        await answer_stale(query)
        return
    await _refresh(message, source_desk, callback_data.page)
    await query.answer()


async def on_source_action(
    query: CallbackQuery, callback_data: views.SourceAction, source_desk: SourceDesk
) -> None:
    message = message_of(query)
    if message is None:
        await answer_stale(query)
        return
    actor, source_id, page = query.from_user.id, callback_data.source, callback_data.page
    try:
        if callback_data.action == "pause":
            paused = await source_desk.pause(source_id, actor_id=actor)
            await query.answer(views.paused_text(paused.name))
        elif callback_data.action == "resume":
            resumed = await source_desk.resume(source_id, actor_id=actor)
            await query.answer(views.resumed_text(resumed.name))
        elif callback_data.action == "remove":
            source = await source_desk.get(source_id)
            text, markup = views.remove_question(source, page)
            await show(message, text, markup)
            await query.answer()
            return
        elif callback_data.action == "remove_yes":
            removed = await source_desk.remove(source_id, actor_id=actor)
            if isinstance(removed, RemoveRefused):
                await query.answer(views.remove_refused_text(), show_alert=True)
            else:
                await query.answer(views.removed_text(removed.name))
        else:
            source = await source_desk.get(source_id)
            await query.answer(views.fetching_text(source.name))  # the fetch takes a while
            try:
                report = await source_desk.fetch_now(source_id, actor_id=actor)
            except NotFound:  # removed meanwhile: the press has had its answer already
                await message.answer(views.gone_text())
            else:
                await send(message, views.fetch_result(report))
    except NotFound:
        await query.answer(views.gone_text(), show_alert=True)
    await _refresh(message, source_desk, page)


# adding --------------------------------------------------------------------------------------


async def cmd_source_add(
    message: Message, command: CommandObject, state: FSMContext, source_desk: SourceDesk
) -> None:
    words = (command.args or "").split(maxsplit=1)
    if not words:
        await message.answer(views.add_usage())
        return
    try:
        url = source_desk.check_url(words[0])
    except ProposalInvalid as invalid:
        await message.answer(views.address_refused(invalid.reason))
        return
    name = words[1].strip() if len(words) > 1 else default_name(url)
    taken = await source_desk.taken(name, url)
    if taken is not None:
        await message.answer(views.taken_text(taken))
        return
    await state.set_state(SourceAdd.kind)
    await state.set_data({"url": url, "name": name})
    text, markup = views.kind_prompt(name, url)
    await send(message, text, markup)


async def on_kind(query: CallbackQuery, callback_data: views.AddKind, state: FSMContext) -> None:
    message = message_of(query)
    await query.answer()
    if message is None:
        return
    await state.update_data(kind=callback_data.kind)
    if callback_data.kind == SourceKind.HTML.value:
        await state.set_state(SourceAdd.selectors)
        await send(message, views.selectors_prompt())
        return
    await _ask_region(message, state)


async def _ask_region(message: Message, state: FSMContext) -> None:
    await state.set_state(SourceAdd.region)
    text, markup = views.region_prompt()
    await message.answer(text, reply_markup=markup)


async def on_selectors(message: Message, state: FSMContext) -> None:
    selectors = views.parse_selectors(message.text or "")
    if selectors is None:
        await message.answer(views.selectors_wrong())
        return
    await state.update_data(selectors=selectors)
    await _ask_region(message, state)


async def on_region_text(message: Message, state: FSMContext, catalog: Catalog) -> None:
    region = views.find_region(message.text or "", catalog.regions)
    if region is None:
        await message.answer(views.region_unknown(message.text or ""))
        return
    await state.update_data(region=region.code)
    await _ask_section(message, state, catalog)


async def on_no_region(query: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
    message = message_of(query)
    await query.answer()
    if message is None:
        return
    await state.update_data(region=None)
    await _ask_section(message, state, catalog)


async def _ask_section(message: Message, state: FSMContext, catalog: Catalog) -> None:
    await state.set_state(SourceAdd.section)
    text, markup = views.section_prompt(tuple(catalog.sections.values()))
    await message.answer(text, reply_markup=markup)


def _proposal(data: dict[str, Any]) -> Proposal:
    return Proposal(
        url=str(data["url"]),
        name=str(data["name"]),
        kind=SourceKind(data.get("kind", SourceKind.RSS.value)),
        region=data.get("region"),
        section=data.get("section"),
        selectors=data.get("selectors"),
    )


async def on_section(
    query: CallbackQuery,
    callback_data: views.AddSection,
    state: FSMContext,
    source_desk: SourceDesk,
    catalog: Catalog,
) -> None:
    message = message_of(query)
    await query.answer()
    if message is None:
        return
    data = await state.update_data(section=callback_data.slug or None)
    proposal = _proposal(data)
    await message.answer(views.checking_text())
    try:
        preview = await source_desk.preview(proposal)
    except ProposalInvalid as invalid:
        await state.clear()
        await message.answer(views.invalid_text(invalid.reason))
        return
    except FeedError as error:
        await state.clear()
        await message.answer(views.check_failed(error.reason))
        return
    await state.set_state(SourceAdd.confirm)
    text, markup = views.preview_view(proposal.name, preview, catalog.regions)
    await send(message, text, markup)


async def on_confirm(
    query: CallbackQuery,
    callback_data: views.AddConfirm,
    state: FSMContext,
    source_desk: SourceDesk,
) -> None:
    message = message_of(query)
    data = await state.get_data()
    current = await state.get_state()
    await state.clear()
    await query.answer()
    if message is None:
        return
    if not callback_data.save:
        await message.answer(views.cancelled_text())
        return
    if current != SourceAdd.confirm.state or "url" not in data:
        await message.answer(views.dialogue_lost_text())
        return
    try:
        added = await source_desk.add(_proposal(data), actor_id=query.from_user.id)
    except TakenError as taken:
        await message.answer(views.taken_text(taken.clash))
        return
    except ProposalInvalid as invalid:
        await message.answer(views.invalid_text(invalid.reason))
        return
    await message.answer(views.saved_text(added.name))


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.cancelled_text())


async def on_stale_step(query: CallbackQuery) -> None:
    """A dialogue button pressed outside its step (an old message, after a restart's end)."""
    await query.answer(views.dialogue_lost_text(), show_alert=True)


# OPML ----------------------------------------------------------------------------------------


async def on_opml(message: Message, bot: Bot, source_desk: SourceDesk) -> None:
    document = message.document
    if document is None or message.from_user is None:
        return
    if (document.file_size or 0) > MAX_OPML_BYTES:
        await message.answer(views.opml_too_big(MAX_OPML_BYTES // 1024))
        return
    buffer = io.BytesIO()
    try:
        await bot.download(document, destination=buffer)
    except (TelegramAPIError, ClientError, TimeoutError) as error:
        log.warning("could not download an OPML file: %r", error)
        await message.answer(views.download_failed())
        return
    data = buffer.getvalue()
    try:
        report = await source_desk.import_opml(data, actor_id=message.from_user.id)
    except OpmlRefused as refused:
        log.info("OPML refused: %s", refused.reason)
        if len(data) > MAX_OPML_BYTES:
            await message.answer(views.opml_too_big(MAX_OPML_BYTES // 1024))
        else:
            await message.answer(views.opml_refused(refused.hostile))
        return
    await send(message, views.import_report(report))


async def cmd_export(message: Message, source_desk: SourceDesk) -> None:
    data = await source_desk.export_opml()
    count = data.count(b"<outline")
    await message.answer_document(
        BufferedInputFile(data, filename="regionews-sources.opml"),
        caption=views.export_caption(count),
    )


def _is_opml(message: Message) -> bool:
    document = message.document
    if document is None:
        return False
    name = (document.file_name or "").lower()
    return name.endswith((".opml", ".xml")) or (document.mime_type or "") == "text/x-opml"


def build_router() -> Router:
    """A fresh sources router: its guard first, then the handlers (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_sources, Command("sources"), PRIVATE)
    router.message.register(cmd_source_add, Command("source_add"), PRIVATE)
    router.message.register(cmd_export, Command("export"), PRIVATE)
    router.message.register(cmd_cancel, Command("cancel"), PRIVATE, StateFilter(SourceAdd))
    router.message.register(on_opml, PRIVATE, on_loop(F.func(_is_opml)))
    router.message.register(on_selectors, PRIVATE, StateFilter(SourceAdd.selectors), PLAIN_TEXT)
    router.message.register(on_region_text, PRIVATE, StateFilter(SourceAdd.region), PLAIN_TEXT)
    router.callback_query.register(on_sources_page, views.SourcesPage.filter())
    router.callback_query.register(on_source_action, views.SourceAction.filter())
    router.callback_query.register(on_kind, views.AddKind.filter(), StateFilter(SourceAdd.kind))
    router.callback_query.register(
        on_no_region, views.AddNoRegion.filter(), StateFilter(SourceAdd.region)
    )
    router.callback_query.register(
        on_section, views.AddSection.filter(), StateFilter(SourceAdd.section)
    )
    router.callback_query.register(on_confirm, views.AddConfirm.filter())
    router.callback_query.register(
        on_stale_step,
        on_loop(F.data.startswith(("srck:", "srcr", "srcs:"))),
    )
    return router
