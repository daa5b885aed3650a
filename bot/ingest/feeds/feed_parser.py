"""Read a fetched feed (RSS 0.9x/2.0, Atom, RDF or JSON Feed) into a ``ParsedFeed``.

The body is decoded first (``decoding``), then refused if it declares its own XML entities,
then read by fastfeedparser; feedparser reads what fastfeedparser cannot. JSON Feed is read
here with the json module. Every entry becomes a ``FeedItem`` with clean text, a canonical
link and an absolute image address. Anything that is not a feed raises ``FeedMalformed``
(``FeedUnsafe`` for an entity declaration) with a reason an admin can act on.

This module is pure and CPU-bound: call it through ``worker.ParserPool`` from async code.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

import fastfeedparser
import feedparser

from bot.domain.errors import FeedMalformed, FeedUnsafe
from bot.domain.models import FeedItem, ParsedFeed
from bot.ingest.feeds.dates import parse_date
from bot.ingest.feeds.decoding import decode_document
from bot.ingest.feeds.text import (
    canonical_url,
    cap_guid,
    cap_title,
    clean_html,
    clean_title,
    make_teaser,
)

Entry = Mapping[str, Any]

HTML_PAGE_REASON = 'this is an HTML page, not a feed; use kind = "html" with CSS selectors'
ENTITY_REASON = (
    "the feed declares its own XML entities, which can be used to exhaust memory; refused"
)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_HTML_ROOT = re.compile(
    r"\A(?:\s|<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)*<html\b", re.IGNORECASE | re.DOTALL
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_MAY_HOLD_ENTRIES = re.compile(r"<(?:\w+:)?(?:item|entry)\b", re.IGNORECASE)
# fastfeedparser reads a date without an offset as UTC; the source's zone is what applies, so
# such dates are read again from the document. These find an entry's start and its raw date.
_ENTRY_START = re.compile(r"<(?:item|entry)[\s>]", re.IGNORECASE)
_RAW_DATE = re.compile(
    r"<(?:[A-Za-z]+:)?(?:pubDate|published|updated|date|issued|modified)>\s*"
    r"(?:<!\[CDATA\[)?([^<\]]{4,64})",
    re.IGNORECASE,
)
_HAS_OFFSET = re.compile(r"(?:[+-]\d\d:?\d\d|Z|GMT|UTC?|[ECMP][SD]T)\s*$", re.IGNORECASE)
_DATES_SAMPLED = 3
_TTL = re.compile(r"<ttl>\s*(\d{1,7})\s*</ttl>")
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_HEAD_CHARS = 4096
_TTL_SCAN_CHARS = 65536
_TITLE_FROM_TEXT_CHARS = 100
_TEASER_CHARS = 280
_TEASER_HTML_CHARS = 4096
_TEXT_HTML_CHARS = 12_000
"""HTML read per entry for its text: a long read's first ~15,000 characters of text are
plenty for tagging, search and display (the link leads to the rest), and cleaning the
remainder of a book-length post would cost more than everything else in the feed."""
_FEEDPARSER_HEADERS = {"content-type": "application/xml; charset=utf-8"}


def parse_feed(body: bytes, *, url: str, http_charset: str | None = None) -> ParsedFeed:
    """The entries of the feed in ``body``; ``url`` (the feed's address) resolves links."""
    text = decode_document(body, http_charset=http_charset)
    head = text[:_HEAD_CHARS].lstrip()
    if not head:
        raise FeedMalformed("the response is empty, so there is no feed to read")
    if len(_CONTROL_CHARS.findall(head)) > len(head) // 100:
        raise FeedMalformed("the response is binary data, not a feed")
    refuse_entity_declarations(text)
    if head.startswith(("{", "[")):
        title, entries = _read_json_feed(text)
        ttl = None
    else:
        if _HTML_ROOT.match(head):
            raise FeedMalformed(HTML_PAGE_REASON)
        title, entries = _read_xml_feed(text)
        ttl = _ttl_seconds(text)
    items = tuple(item for item in (_feed_item(entry, url) for entry in entries) if item)
    return ParsedFeed(items=items, title=clean_title(title) or None, ttl_seconds=ttl)


def refuse_entity_declarations(text: str) -> None:
    """Raise ``FeedUnsafe`` if a DOCTYPE in ``text`` is followed by an entity declaration."""
    doctype = _DOCTYPE.search(text)
    if doctype and _ENTITY.search(text, doctype.end()):
        raise FeedUnsafe(ENTITY_REASON)


def _read_xml_feed(text: str) -> tuple[str, list[Entry]]:
    raw = text.encode("utf-8")  # bytes: fastfeedparser would fetch a str that looks like a URL
    try:
        parsed = fastfeedparser.parse(raw)
    except MemoryError:
        raise
    except Exception as error:  # any failure there sends the document to feedparser
        return _read_with_feedparser(raw, error)
    title, entries = _text(parsed["feed"], "title"), list(parsed["entries"])
    if not entries and _MAY_HOLD_ENTRIES.search(text):  # e.g. RSS 0.90, which it reads empty
        with contextlib.suppress(FeedMalformed):
            return _read_with_feedparser(raw, ValueError("no entries"))
    for entry, naive in zip(entries, _naive_dates(text, len(entries)), strict=False):
        if naive is not None:
            entry["published"] = naive  # read again by parse_date: naive, so the source's zone
    return title, entries


def _naive_dates(text: str, count: int) -> list[str | None]:
    """Each entry's raw date if it has no offset, else None; [] when the feed's dates have
    offsets (judged by its first few, so most feeds cost one short search) or the entries
    cannot be matched to their places in the document."""
    sampled = [match.group(1) for match in islice(_RAW_DATE.finditer(text), _DATES_SAMPLED)]
    if all(_HAS_OFFSET.search(date) for date in sampled):
        return []
    starts = [match.start() for match in _ENTRY_START.finditer(text)]
    if len(starts) != count:
        return []
    found: list[str | None] = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        match = _RAW_DATE.search(text, start, end)
        raw = match.group(1).strip() if match else ""
        found.append(raw if raw and not _HAS_OFFSET.search(raw) else None)
    return found


def _read_with_feedparser(raw: bytes, fast_error: Exception) -> tuple[str, list[Entry]]:
    result = feedparser.parse(
        raw,
        response_headers=_FEEDPARSER_HEADERS,
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    if not result.get("version") and not result.entries:
        if "HTML" in str(fast_error):
            raise FeedMalformed(HTML_PAGE_REASON)
        detail = result.get("bozo_exception") or fast_error
        raise FeedMalformed(f"this is not a feed we can read: {_short(detail)}")
    return _text(result.feed, "title"), list(result.entries)


def _read_json_feed(text: str) -> tuple[str, list[Entry]]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FeedMalformed(f"this JSON is not valid: {_short(error)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedMalformed('this is JSON but not a JSON Feed: it has no "items" list')
    entries = [_json_entry(item) for item in document["items"] if isinstance(item, dict)]
    return _text(document, "title"), entries


def _json_entry(item: Entry) -> Entry:
    """A JSON Feed item in the shape fastfeedparser gives entries."""
    content = _text(item, "content_html") or _text(item, "content_text")
    attachments = item.get("attachments")
    return {
        "title": _text(item, "title"),
        "link": _text(item, "url") or _text(item, "external_url"),
        "id": str(item["id"]) if item.get("id") is not None else "",
        "description": _text(item, "summary"),
        "content": [{"value": content}] if content else [],
        "published": _text(item, "date_published"),
        "updated": _text(item, "date_modified"),
        "tags": [{"term": tag} for tag in _list(item.get("tags")) if isinstance(tag, str)],
        "enclosures": [
            {"url": _text(a, "url"), "type": _text(a, "mime_type")}
            for a in _list(attachments)
            if isinstance(a, dict)
        ],
        "image": _text(item, "image") or _text(item, "banner_image"),
    }


def _feed_item(entry: Entry, feed_url: str) -> FeedItem | None:
    link = canonical_url(_entry_link(entry), base=feed_url)
    summary = _text(entry, "description") or _text(entry, "summary")
    content = max(
        (_text(part, "value") for part in _dicts(entry.get("content"))), key=len, default=""
    )
    longest = content if len(content) > len(summary) else summary
    text = clean_html(longest[:_TEXT_HTML_CHARS])
    teaser = (
        _teaser(summary) if summary and summary != longest else make_teaser(text, _TEASER_CHARS)
    )
    title = clean_title(_text(entry, "title"))
    if not title:
        if link is None:
            return None
        title = cap_title(make_teaser(teaser or text, _TITLE_FROM_TEXT_CHARS) or link)
    dated = _text(entry, "published") or _text(entry, "updated")
    return FeedItem(
        title=title,
        link=link,
        guid=cap_guid(_text(entry, "id")) or None,
        teaser=teaser,
        text=text,
        image_url=_image_url(entry, content or summary, link or feed_url),
        published_at=parse_date(dated) if dated else None,
        categories=_categories(entry),
    )


def _teaser(html: str) -> str:
    """``make_teaser(clean_html(html))``, reading only the head of a long ``html``."""
    if len(html) > _TEASER_HTML_CHARS:
        head = clean_html(html[:_TEASER_HTML_CHARS])
        if len(head) > 2 * _TEASER_CHARS:  # the cut falls well inside the head
            return make_teaser(head, _TEASER_CHARS)
    return make_teaser(clean_html(html), _TEASER_CHARS)


def _entry_link(entry: Entry) -> str:
    link = _text(entry, "link")
    if link:
        return link
    for candidate in _dicts(entry.get("links")):
        if candidate.get("rel") in (None, "alternate") and _text(candidate, "href"):
            return _text(candidate, "href")
    return ""


def _image_url(entry: Entry, html: str, base: str) -> str | None:
    candidates: list[str] = [_text(entry, "image")]
    candidates += [
        _text(enc, "url")
        for enc in _dicts(entry.get("enclosures"))
        if _text(enc, "type").startswith("image/")
    ]
    for media in (*_dicts(entry.get("media_content")), *_dicts(entry.get("media_thumbnail"))):
        media_url = _text(media, "url")
        kind = _text(media, "medium") or _text(media, "type")
        if kind.startswith("image") or (not kind and media_url.lower().endswith(_IMAGE_SUFFIXES)):
            candidates.append(media_url)
    for candidate in candidates:
        absolute = canonical_url(candidate, base=base) if candidate else None
        if absolute:
            return absolute
    first = html.find("<img")
    first = html.find("<IMG") if first < 0 else first
    if first < 0:
        return None
    # The pattern ignores case, which makes scanning slow: start it at the first image.
    inline = (canonical_url(match[1], base=base) for match in _IMG_SRC.finditer(html, first))
    return next(filter(None, inline), None)


def _categories(entry: Entry) -> tuple[str, ...]:
    terms = (" ".join(_text(tag, "term").split()) for tag in _dicts(entry.get("tags")))
    return tuple(dict.fromkeys(term for term in terms if term))


def _ttl_seconds(text: str) -> int | None:
    match = _TTL.search(text, 0, _TTL_SCAN_CHARS)
    minutes = int(match.group(1)) if match else 0
    return minutes * 60 if minutes > 0 else None


def _text(mapping: Entry, key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: object) -> Iterable[Entry]:
    return (part for part in _list(value) if isinstance(part, Mapping))


def _short(error: object) -> str:
    message = " ".join(str(error).split()) or type(error).__name__
    return message[:200]
