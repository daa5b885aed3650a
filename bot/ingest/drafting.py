"""From a feed item to a tagged, dated, identified article draft (pure, CPU only)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.models import ArticleDraft, FeedItem, Tags

FUTURE_TOLERANCE = timedelta(minutes=10)
"""A date further in the future than this is a publisher's mistake: the fetch time is used."""
OLDEST_YEAR = 1990
"""Dates before this (year 1, 1970 from a zero timestamp) are placeholders, not news."""
TAGGED_TEXT_CHARS = 4_000
SEARCH_TEXT_CHARS = 4_000

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_INTERVIEW = re.compile(r"\bинтервью\b", re.IGNORECASE)


class TextTagger(Protocol):
    def tag(self, text: str, *, categories: Sequence[str] = ()) -> Tags: ...


class TextLemmatizer(Protocol):
    def lemmas(self, text: str) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class DraftContext:
    """What drafting needs to know about the source an item came from."""

    fetched_at: datetime
    timezone: ZoneInfo  # applied to naive dates
    default_region: str | None
    default_section: str | None
    default_topics: tuple[str, ...]
    fallback_section: str = "regional"


def title_key(title: str) -> str:
    """A title folded for comparison: lower case, ё→е, punctuation and spacing dropped."""
    folded = title.casefold().replace("ё", "е")
    return " ".join(_NON_WORD.sub(" ", folded).split())


def identity_key(item: FeedItem) -> str:
    """guid, else canonical link, else a hash of title and (original) date."""
    if item.guid and item.guid.strip():
        return "guid:" + item.guid.strip()
    if item.link:
        return "url:" + item.link
    stamp = item.published_at.isoformat() if item.published_at else ""
    digest = hashlib.sha1(f"{item.title}\x1f{stamp}".encode()).hexdigest()
    return "hash:" + digest


def settle_date(published: datetime | None, context: DraftContext) -> datetime:
    """Aware publication time: naive dates in the source's zone; missing, absurd or future
    dates → the fetch time."""
    if published is None:
        return context.fetched_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=context.timezone)
    if published.year < OLDEST_YEAR or published > context.fetched_at + FUTURE_TOLERANCE:
        return context.fetched_at
    return published


def content_hash(item: FeedItem, section: str, tags: Tags) -> str:
    """Changes when what a reader sees changes (not when a dateless item is fetched again)."""
    parts = (
        item.title,
        item.link or "",
        item.teaser,
        item.text,
        item.image_url or "",
        item.published_at.isoformat() if item.published_at else "",
        section,
        ",".join(tags.regions),
        ",".join(tags.topics),
    )
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def draft_article(
    item: FeedItem,
    context: DraftContext,
    *,
    tagger: TextTagger,
    lemmatizer: TextLemmatizer,
) -> ArticleDraft:
    text_for_tags = f"{item.title}\n{item.teaser}\n{item.text[:TAGGED_TEXT_CHARS]}"
    found = tagger.tag(text_for_tags, categories=item.categories)
    regions = found.regions or ((context.default_region,) if context.default_region else ())
    topics = tuple(sorted(set(found.topics) | set(context.default_topics)))
    section = context.default_section or (
        "interview" if _INTERVIEW.search(item.title) else context.fallback_section
    )
    published_at = settle_date(item.published_at, context)
    tags = Tags(regions=regions, topics=topics)
    search_terms = " ".join(
        lemmatizer.lemmas(f"{item.title} {item.teaser} {item.text[:SEARCH_TEXT_CHARS]}")
    )
    return ArticleDraft(
        identity_key=identity_key(item),
        guid=item.guid,
        url=item.link,
        title=item.title,
        title_key=title_key(item.title),
        teaser=item.teaser,
        text=item.text,
        image_url=item.image_url,
        published_at=published_at,
        fetched_at=context.fetched_at,
        section=section,
        regions=regions,
        topics=topics,
        content_hash=content_hash(item, section, tags),
        search_terms=search_terms,
    )
