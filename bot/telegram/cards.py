"""The card an instant push or a channel post shows for one article.

::

    <b><a href="…">Title</a></b>
    #Иркутская_область #Региональные_новости

    The teaser.

    <i>Source · 04.12.2026 09:05</i>
    Signature (channels)

With the article's image as a photo when it has one and the card fits a caption (1024
characters as shown), the teaser shortened if that makes it fit; otherwise a text message
(4096) with a link preview of the article. :attr:`Card.html` is always the text version:
the sender falls back to it when Telegram will not take the photo.

Untrusted text (titles, teasers, source names, signatures) only ever goes into plain nodes
of :mod:`bot.telegram.formatting`, escaped when the tree is written as HTML. Pure: names and
dates in the chat's language and zone, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram.utils.i18n import gettext as _

from bot.domain.models import Article
from bot.domain.wallclock import zone_of
from bot.telegram.articles import MAX_MESSAGE_CHARS, Names, shorten
from bot.telegram.formatting import Bold, Italic, Text, TextLink, as_list
from bot.telegram.i18n import name_of, speaking
from bot.telegram.post_html import checked_html

MAX_CAPTION_CHARS = 1024
TITLE_LIMIT = 300
SOURCE_LIMIT = 100
SIGNATURE_LIMIT = 200
MAX_REGION_TAGS = 5  # an article about many regions tags the first few (by name)
_TEXT_TEASER_LIMITS = (2000, 1000, 500, 200, 0)
_CAPTION_TEASER_LIMITS = (700, 450, 250)
_META_SEPARATOR = " · "
_NOT_HASHTAG = re.compile(r"[\W_]+")
_WEB = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Card:
    """One article as Telegram HTML: a photo with ``caption_html`` when ``photo_url`` is set,
    else the text ``html`` with a preview of ``preview_url``."""

    html: str
    photo_url: str | None = None
    caption_html: str | None = None
    preview_url: str | None = None


def hashtag(name: str) -> str:
    """A name as a hashtag: letters and digits kept, every other run one underscore
    («Ханты-Мансийский автономный округ — Югра» → ``#Ханты_Мансийский_автономный_округ_Югра``);
    ``""`` if nothing is left."""
    words = _NOT_HASHTAG.sub("_", name).strip("_")
    return f"#{words}" if words else ""


def hashtags(names: Iterable[str]) -> str:
    seen: list[str] = []
    for name in names:
        tag = hashtag(name)
        if tag and tag not in seen:
            seen.append(tag)
    return " ".join(seen)


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address Telegram can link or fetch, else ``None``."""
    if url and url.strip().lower().startswith(_WEB) and not any(c.isspace() for c in url.strip()):
        return url.strip()
    return None


def editorial_body(article: Article) -> Text | None:
    """An editor's post (an article without a source, its ``text`` the editor's checked
    Telegram HTML, see :mod:`bot.desk.posts`): that text with its formatting, else None."""
    if article.source_id is not None or not article.text:
        return None
    return checked_html(article.text)


def editorial_photo(article: Article) -> str | None:
    """An editor's post keeps its photo as Telegram's ``file_id`` (never a feed's address)."""
    if article.source_id is not None or not article.image_url:
        return None
    image = article.image_url.strip()
    return None if "://" in image or any(c.isspace() for c in image) else image


def local_day_and_time(moment: datetime, zone: str | None) -> str:
    """«04.12.2026 09:05» on the clock of ``zone`` (Moscow when missing or unknown)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone_of(zone))
    return (
        f"{local.day:02d}.{local.month:02d}.{local.year:04d} {local.hour:02d}:{local.minute:02d}"
    )


def render_card(
    article: Article,
    names: Names,
    *,
    language: str,
    zone: str | None,
    source_name: str | None,
    signature: str | None,
) -> Card:
    """The card for ``article`` in ``language`` with dates in ``zone``."""
    with speaking(language):
        title = shorten(article.title, TITLE_LIMIT) or _("(untitled)")
        link = web_url(article.url)
        heading = Bold(TextLink(title, url=link) if link else title)
        regions = sorted(
            name_of(names.regions[code]) if code in names.regions else code
            for code in article.regions
        )[:MAX_REGION_TAGS]
        section = names.sections.get(article.section)
        tags = hashtags([*regions, name_of(section)] if section else regions)
    meta = _META_SEPARATOR.join(
        part
        for part in (
            shorten(source_name or "", SOURCE_LIMIT),
            local_day_and_time(article.published_at, zone),
        )
        if part
    )
    footer: list[Text | str] = [Italic(meta)]
    signature = shorten(signature or "", SIGNATURE_LIMIT)
    if signature:
        footer.append(signature)

    body = editorial_body(article)

    def card(teaser_limit: int) -> Text:
        top: list[Text | str] = [heading]
        if tags:
            top.append(tags)
        blocks: list[Text] = [as_list(*top)]
        teaser = shorten(article.teaser, teaser_limit) if teaser_limit else ""
        if body is not None:
            blocks.append(body)  # an editor's text is never shortened: the desk checks it fits
        elif teaser:
            blocks.append(Text(teaser))
        blocks.append(as_list(*footer))
        return as_list(*blocks, sep="\n\n")

    text = card(0)
    for limit in _TEXT_TEASER_LIMITS:
        text = card(limit)
        if text.length() <= MAX_MESSAGE_CHARS:
            break
    photo = web_url(article.image_url) or editorial_photo(article)
    if photo is not None:
        for limit in _CAPTION_TEASER_LIMITS:
            caption = card(limit)
            if caption.length() <= MAX_CAPTION_CHARS:
                return Card(html=text.as_html(), photo_url=photo, caption_html=caption.as_html())
    return Card(html=text.as_html(), preview_url=link)
