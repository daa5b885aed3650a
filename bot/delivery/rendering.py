"""What the sender posts for a delivery: its pre-rendered body, or the article's card.

:class:`Outgoing` is one message as the sender needs it. :class:`CardRenderer` makes it from
an :class:`~bot.domain.delivery.OutboxItem`: a digest or broadcast carries its HTML in
``body``; an article item is rendered at send time in the chat's language and time zone
(many chats get one article, so articles are read once and kept a while).

Until the digests engineer's ``bot.telegram.cards.render_card`` is merged, an article's card
is the reader's teaser (:func:`bot.telegram.articles.article_teaser`) with the channel's
signature line under it.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol

from aiogram.utils.i18n import I18n

from bot.domain.delivery import OutboxItem
from bot.domain.models import Article
from bot.telegram.articles import Names, article_teaser

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


class ArticleSource(Protocol):
    async def get_many(self, ids: Sequence[int]) -> tuple[Article, ...]: ...


class Renderer(Protocol):
    async def render(self, item: OutboxItem) -> Outgoing | None:
        """The message for the item; None when there is nothing to send (article gone)."""


class CardRenderer:
    """Bodies as they are; articles as cards in the chat's language and zone."""

    def __init__(self, *, articles: ArticleSource, names: Names, i18n: I18n) -> None:
        self._articles = articles
        self._names = names
        self._i18n = i18n
        self._cache: OrderedDict[int, Article | None] = OrderedDict()

    async def render(self, item: OutboxItem) -> Outgoing | None:
        if item.body is not None:
            return Outgoing(item.body)
        if item.article_id is None:
            return None
        article = await self._article(item.article_id)
        if article is None:
            return None
        with self._i18n.context(), self._i18n.use_locale(item.language):
            card = article_teaser(article, self._names, zone=item.timezone).as_html()
        if item.signature:
            card = f"{card}\n\n{html.escape(item.signature, quote=False)}"
        return Outgoing(card, preview_url=article.url)

    async def _article(self, article_id: int) -> Article | None:
        if article_id in self._cache:
            self._cache.move_to_end(article_id)
            return self._cache[article_id]
        found = await self._articles.get_many([article_id])
        article = found[0] if found else None
        self._cache[article_id] = article
        if len(self._cache) > ARTICLE_CACHE_SIZE:
            self._cache.popitem(last=False)
        return article


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
