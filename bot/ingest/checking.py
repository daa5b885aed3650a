"""Trying a source before adding it: fetch and parse one address, store nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.models import ArticleDraft, HtmlSelectors, SourceKind
from bot.ingest.drafting import DraftContext
from bot.ingest.ingestor import FeedDrafter, FeedFetcher


async def check_source(
    url: str,
    *,
    kind: SourceKind,
    selectors: HtmlSelectors | None,
    region: str | None,
    timezone: str,
    fetcher: FeedFetcher,
    drafter: FeedDrafter,
    clock: Clock,
) -> tuple[ArticleDraft, ...]:
    """What an ingest of ``url`` would store now. Raises :class:`bot.domain.errors.FeedError`."""
    if kind is SourceKind.HTML and selectors is None:
        raise ValueError("an html source needs selectors")
    fetched = await fetcher.fetch(url)
    drafted = await drafter.draft(
        fetched.body,
        url=fetched.url,
        http_charset=fetched.charset,
        selectors=selectors if kind is SourceKind.HTML else None,
        context=DraftContext(
            fetched_at=clock(),
            timezone=ZoneInfo(timezone),
            default_region=region,
            default_section=None,
            default_topics=(),
        ),
    )
    return drafted.drafts
