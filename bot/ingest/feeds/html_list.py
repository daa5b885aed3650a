"""Read a news-list page that has no feed, the way ``HtmlSelectors`` describe it.

Each element the item selector matches is one article: the title selector gives its title
and (unless a link selector is set) its link, the date selector a ``datetime`` attribute or
text read with ``parse_date``, the teaser and image selectors the rest. Links and images are
made absolute against the page address (or its ``<base href>``) and canonical.

Pure and CPU-bound like ``feed_parser``: call it through ``worker.ParserPool``.
"""

from __future__ import annotations

from datetime import datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from bot.domain.errors import FeedMalformed
from bot.domain.models import FeedItem, HtmlSelectors, ParsedFeed
from bot.ingest.feeds.dates import parse_date
from bot.ingest.feeds.decoding import decode_document
from bot.ingest.feeds.text import canonical_url, cap_title, clean_html, make_teaser

_IMAGE_ATTRIBUTES = ("src", "data-src", "data-lazy-src", "data-original")


def parse_html_list(
    body: bytes, *, url: str, selectors: HtmlSelectors, http_charset: str | None = None
) -> ParsedFeed:
    """The articles listed on the page in ``body``, at most ``selectors.limit`` of them."""
    text = decode_document(body, http_charset=http_charset)
    if not text.strip():
        raise FeedMalformed("the response is empty, so there is no page to read")
    tree = LexborHTMLParser(text)
    nodes = _select(tree.root, selectors.item, "item") if tree.root else []
    if not nodes:
        raise FeedMalformed(f"no element matches item selector {selectors.item!r}")
    base = _base_url(tree, url)
    items: list[FeedItem] = []
    for node in nodes:
        if len(items) >= selectors.limit:
            break
        item = _item(node, selectors, base)
        if item is not None:
            items.append(item)
    page_title = tree.css_first("title")
    return ParsedFeed(items=tuple(items), title=cap_title(_text(page_title)) or None)


def _item(node: LexborNode, selectors: HtmlSelectors, base: str) -> FeedItem | None:
    title = cap_title(_text(_first(node, selectors.title, "title")))
    link_node = _link_node(node, _first(node, selectors.link or selectors.title, "link"))
    link = canonical_url(link_node.attributes.get("href"), base=base) if link_node else None
    if not title or link is None:
        return None
    teaser_node = _first(node, selectors.teaser, "teaser")
    text = clean_html(teaser_node.html or "") if teaser_node else ""
    return FeedItem(
        title=title,
        link=link,
        teaser=make_teaser(text),
        text=text,
        image_url=_image_url(_first(node, selectors.image, "image"), base),
        published_at=_date(_first(node, selectors.date, "date"), selectors.date_format),
    )


def _link_node(item: LexborNode, matched: LexborNode | None) -> LexborNode | None:
    """The ``<a>`` for ``matched``: itself, its first link inside, or the link around it."""
    if matched is None:
        return None
    if matched.tag == "a":
        return matched
    inner = matched.css_first("a[href]")
    if inner is not None:
        return inner
    ancestor = matched.parent
    while ancestor is not None and ancestor.mem_id != item.mem_id:
        if ancestor.tag == "a":
            return ancestor
        ancestor = ancestor.parent
    return item if item.tag == "a" else None


def _date(node: LexborNode | None, date_format: str | None) -> datetime | None:
    if node is None:
        return None
    stamp = node.attributes.get("datetime") or node.text(deep=True)
    return parse_date(stamp, date_format=date_format) if stamp else None


def _image_url(node: LexborNode | None, base: str) -> str | None:
    if node is not None and node.tag != "img":
        node = node.css_first("img") or node
    if node is None:
        return None
    for attribute in _IMAGE_ATTRIBUTES:
        address = canonical_url(node.attributes.get(attribute), base=base)
        if address:
            return address
    return None


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base else None
    return canonical_url(href, base=url) or url if href else url


def _first(node: LexborNode, selector: str | None, role: str) -> LexborNode | None:
    if not selector:
        return None
    try:
        return node.css_first(selector)
    except SelectolaxError:
        raise FeedMalformed(f"the {role} selector {selector!r} is not valid CSS") from None


def _select(node: LexborNode, selector: str, role: str) -> list[LexborNode]:
    try:
        return list(node.css(selector))
    except SelectolaxError:
        raise FeedMalformed(f"the {role} selector {selector!r} is not valid CSS") from None


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text(deep=True).split()) if node is not None else ""
