"""Trying a source before adding it: fetch and parse one address, store nothing."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.drafting import DraftContext, TextLemmatizer, TextTagger, draft_article
from bot.ingest import DocumentParser, FeedFetcher
from bot.models import ArticleDraft, HtmlSelectors, SourceKind


async def check_source(
    url: str,
    *,
    kind: SourceKind,
    selectors: HtmlSelectors | None,
    region: str | None,
    timezone: str,
    fetcher: FeedFetcher,
    parser: DocumentParser,
    tagger: TextTagger,
    lemmatizer: TextLemmatizer,
    clock: Clock,
) -> tuple[ArticleDraft, ...]:
    """What an ingest of ``url`` would store now. Raises :class:`bot.errors.FeedError`."""
    fetched = await fetcher.fetch(url)
    if kind is SourceKind.HTML:
        if selectors is None:
            raise ValueError("an html source needs selectors")
        parsed = await parser.parse_html_list(
            fetched.body, url=fetched.url, selectors=selectors, http_charset=fetched.charset
        )
    else:
        parsed = await parser.parse_feed(
            fetched.body, url=fetched.url, http_charset=fetched.charset
        )
    context = DraftContext(
        fetched_at=clock(),
        timezone=ZoneInfo(timezone),
        default_region=region,
        default_section=None,
        default_topics=(),
    )
    return tuple(
        await asyncio.to_thread(
            lambda: [
                draft_article(item, context, tagger=tagger, lemmatizer=lemmatizer)
                for item in parsed.items
            ]
        )
    )
