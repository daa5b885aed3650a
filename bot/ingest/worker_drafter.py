"""Parsing *and* drafting run in the parser worker processes.

Tagging and lemmatising are the costliest part of ingesting after parsing, and pure CPU: in
the workers they use every core, never stall the event loop, and keep the tagger's memory out
of a process that only ingests. Each worker builds its own :class:`Language` on its first job.
"""

from __future__ import annotations

import functools

from bot.domain.models import DraftedFeed, HtmlSelectors
from bot.ingest.drafting import DraftContext, draft_article
from bot.ingest.feeds import ParserPool, parse_feed, parse_html_list
from bot.reference import load_regions, load_topics
from bot.tagging.language import Language


@functools.cache
def _worker_language() -> Language:
    """This worker process's language machinery (built on first use, kept for its life)."""
    return Language.build(load_regions(), load_topics())


def parse_and_draft(
    *,
    body: bytes,
    url: str,
    http_charset: str | None,
    selectors: HtmlSelectors | None,
    context: DraftContext,
) -> DraftedFeed:
    """Parse a feed (or a news-list page when ``selectors`` are given) and draft its items."""
    if selectors is not None:
        parsed = parse_html_list(body, url=url, selectors=selectors, http_charset=http_charset)
    else:
        parsed = parse_feed(body, url=url, http_charset=http_charset)
    language = _worker_language()
    drafts = tuple(
        draft_article(item, context, tagger=language.tagger, lemmatizer=language.lemmatizer)
        for item in parsed.items
    )
    return DraftedFeed(drafts, parsed.ttl_seconds)


class WorkerDrafter:
    """Runs :func:`parse_and_draft` in a :class:`ParserPool` with its time and memory limits."""

    def __init__(self, pool: ParserPool) -> None:
        self._pool = pool

    async def draft(
        self,
        body: bytes,
        *,
        url: str,
        http_charset: str | None,
        selectors: HtmlSelectors | None,
        context: DraftContext,
    ) -> DraftedFeed:
        return await self._pool.run(
            parse_and_draft,
            body=body,
            url=url,
            http_charset=http_charset,
            selectors=selectors,
            context=context,
        )
