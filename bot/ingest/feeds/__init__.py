"""Reading fetched feeds and news-list pages into ``ParsedFeed`` objects.

``decode_document`` turns bytes into text; ``parse_feed`` reads RSS, Atom, RDF and JSON
Feed; ``parse_html_list`` reads a page with CSS selectors; ``ParserPool`` runs both in
worker processes with time and memory limits. The text helpers (``clean_html``,
``make_teaser``, ``canonical_url``) and ``parse_date`` are shared with the rest of ingest.
"""

from bot.ingest.feeds.dates import parse_date
from bot.ingest.feeds.decoding import decode_document
from bot.ingest.feeds.feed_parser import parse_feed
from bot.ingest.feeds.html_list import parse_html_list
from bot.ingest.feeds.text import canonical_url, clean_html, make_teaser
from bot.ingest.feeds.worker import ParserPool

__all__ = [
    "ParserPool",
    "canonical_url",
    "clean_html",
    "decode_document",
    "make_teaser",
    "parse_date",
    "parse_feed",
    "parse_html_list",
]
