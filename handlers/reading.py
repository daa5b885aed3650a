"""/latest [region] and /search words, ten teasers a page, «⬇️ More» for the next ten.

A «More» button carries the offset (and, for /latest, the region); a search's query is read
back from the results message it sits under, so no state is kept between pages. The button
is taken off the old page before the next is sent, which makes a double tap harmless.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.models import Region
from bot.readers.catalog import Catalog
from bot.readers.reading import MAX_QUERY_CHARS, BadQuery, NewsReader, Page, RegionNotFound
from bot.readers.subscriptions import SubscriptionService
from bot.telegram.articles import articles_view
from bot.telegram.formatting import Text
from handlers.callbacks import LatestPage, SearchPage
from handlers.context import answer_stale, drop_keyboard, message_of, place_of, send
from handlers.keyboards import more_latest_keyboard, more_search_keyboard, suggestions_keyboard
from handlers.render import (
    latest_header,
    no_news,
    nothing_found,
    query_from,
    region_not_found,
    search_header,
)


async def _send_latest(
    message: Message,
    reader: NewsReader,
    subscriptions: SubscriptionService,
    catalog: Catalog,
    *,
    region: Region | None,
    offset: int,
) -> None:
    place = place_of(message)
    subscription = await subscriptions.get(place.chat_id, place.thread_id)
    rules = subscription.rules if subscription is not None else ()
    zone = subscription.timezone if subscription is not None else None
    page = await reader.latest(
        rules, region=region.code if region is not None else None, offset=offset
    )
    if not page.articles:
        await send(message, no_news())
        return
    markup = (
        more_latest_keyboard(page.next_offset, region.code if region is not None else None)
        if page.has_more
        else None
    )
    view = articles_view(latest_header(region, page), page.articles, catalog, zone=zone)
    await send(message, view, markup)


async def cmd_latest(
    message: Message,
    command: CommandObject,
    reader: NewsReader,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    region: Region | None = None
    if command.args and command.args.strip():
        try:
            region = reader.resolve_region(command.args)
        except RegionNotFound as error:
            await send(
                message,
                region_not_found(error.query, error.suggestions),
                suggestions_keyboard(error.suggestions),
            )
            return
    await _send_latest(message, reader, subscriptions, catalog, region=region, offset=0)


async def on_latest_page(
    query: CallbackQuery,
    callback_data: LatestPage,
    reader: NewsReader,
    subscriptions: SubscriptionService,
    catalog: Catalog,
) -> None:
    message = message_of(query)
    region = catalog.regions.get(callback_data.region) if callback_data.region else None
    if message is None or (callback_data.region and region is None):
        await answer_stale(query)
        return
    if await drop_keyboard(message):
        await _send_latest(
            message, reader, subscriptions, catalog, region=region, offset=callback_data.offset
        )
    await query.answer()


async def _send_search(
    message: Message, reader: NewsReader, catalog: Catalog, query: str, page: Page
) -> None:
    if not page.articles:
        await send(message, nothing_found(query))
        return
    markup = more_search_keyboard(page.next_offset) if page.has_more else None
    await send(message, articles_view(search_header(query, page), page.articles, catalog), markup)


async def cmd_search(
    message: Message, command: CommandObject, reader: NewsReader, catalog: Catalog
) -> None:
    text = " ".join((command.args or "").split())
    if not text:
        await send(message, Text(_("Write what to look for, e.g. /search золото.")))
        return
    if len(text) > MAX_QUERY_CHARS:
        await send(
            message,
            Text(
                _("The query is too long: at most {limit} characters, please.").format(
                    limit=MAX_QUERY_CHARS
                )
            ),
        )
        return
    try:
        page = await reader.search(text)
    except BadQuery:
        await send(message, Text(_("There are no words to look for in this query.")))
        return
    await _send_search(message, reader, catalog, text, page)


async def on_search_page(
    query: CallbackQuery, callback_data: SearchPage, reader: NewsReader, catalog: Catalog
) -> None:
    message = message_of(query)
    text = query_from(message.text, message.entities) if message is not None else None
    if message is None or not text:
        await answer_stale(query)
        return
    try:
        page = await reader.search(text, offset=callback_data.offset)
    except BadQuery:
        await answer_stale(query)
        return
    if await drop_keyboard(message):
        await _send_search(message, reader, catalog, text, page)
    await query.answer()


def build_router() -> Router:
    """A fresh router with this module's handlers, in order (see :mod:`handlers`)."""
    router = Router(name=__name__)
    router.message.register(cmd_latest, Command("latest"))
    router.callback_query.register(on_latest_page, LatestPage.filter())
    router.message.register(cmd_search, Command("search"))
    router.callback_query.register(on_search_page, SearchPage.filter())
    return router
