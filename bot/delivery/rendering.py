"""What the sender posts for a delivery: its pre-rendered body, or the article's card.

:class:`Outgoing` is one message as the sender needs it. :class:`CardRenderer` makes it from
an :class:`~bot.domain.delivery.OutboxItem`: a digest or broadcast carries its HTML in
``body``; an article item is rendered at send time in the chat's language and time zone
(many chats get one article, so articles are read once and kept a while).

An article's card is :func:`bot.telegram.cards.render_card` (a photo with a caption when
the article has an image and the caption fits, else text with a link preview).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol

from bot.domain.delivery import OutboxItem
from bot.domain.models import Article
from bot.telegram.articles import Names
from bot.telegram.cards import render_card
from storage.database import Database
from storage.sending import article_for_card, source_name

ARTICLE_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: text (``html``), or a photo with ``caption_html`` when ``photo_url``."""

    html: str
    photo_url: str | None = None
    caption_html: str | None = None
    preview_url: str | None = None

    @property
    def as_photo(self) -> bool:
        return self.photo_url is not None and self.caption_html is not None

    def without_photo(self) -> Outgoing:
        """The same card as text (the photo could not be fetched)."""
        return Outgoing(self.html, preview_url=self.preview_url)


class Renderer(Protocol):
    async def render(self, item: OutboxItem) -> Outgoing | None:
        """The message for the item; None when there is nothing to send (article gone)."""


class CardRenderer:
    """Bodies as they are; articles as cards in the chat's language and zone."""

    def __init__(self, *, database: Database, names: Names) -> None:
        self._db = database
        self._names = names
        self._articles: OrderedDict[int, tuple[Article, str | None] | None] = OrderedDict()

    async def render(self, item: OutboxItem) -> Outgoing | None:
        if item.body is not None:
            return Outgoing(item.body)
        if item.article_id is None:
            return None
        found = await self._article(item.article_id)
        if found is None:
            return None
        article, source = found
        card = render_card(
            article,
            self._names,
            language=item.language,
            zone=item.timezone,
            source_name=source,
            signature=item.signature,
        )
        return Outgoing(card.html, card.photo_url, card.caption_html, card.preview_url)

    async def _article(self, article_id: int) -> tuple[Article, str | None] | None:
        """The article and its source's name, read once for the many chats that get it."""
        if article_id in self._articles:
            self._articles.move_to_end(article_id)
            return self._articles[article_id]

        def read(connection: sqlite3.Connection) -> tuple[Article, str | None] | None:
            article = article_for_card(connection, article_id)
            if article is None:
                return None
            source = (
                None if article.source_id is None else source_name(connection, article.source_id)
            )
            return article, source

        found = await self._db.read(read)
        self._articles[article_id] = found
        if len(self._articles) > ARTICLE_CACHE_SIZE:
            self._articles.popitem(last=False)
        return found


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text_html: str) -> str:
    """Telegram HTML as the text a reader would see, without any markup: for resending a
    message Telegram could not parse. Tags are dropped, entities decoded."""
    parser = _TextOnly()
    parser.feed(text_html)
    parser.close()
    return "".join(parser.parts)
