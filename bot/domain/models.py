"""Frozen data objects that cross the layers. Names come from the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal


@dataclass(frozen=True, slots=True)
class Region:
    """A federal subject of Russia."""

    code: str  # ISO 3166-2:RU, e.g. "RU-IRK" (see README for the six codes outside ISO)
    name: str  # «Иркутская область»
    name_en: str  # "Irkutsk Oblast"
    kind: str  # «область», «край», «республика», «город федерального значения», ...
    federal_district: str  # «Сибирский»
    timezone: str  # IANA name, e.g. "Asia/Irkutsk"
    capital: str  # «Иркутск»


@dataclass(frozen=True, slots=True)
class Section:
    """A section a publisher files news under («Региональные новости»)."""

    slug: str
    name: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Topic:
    """An industry a reader follows, with the Russian keyword lemmas that reveal it."""

    slug: str
    name: str
    name_en: str
    keywords: tuple[str, ...] = ()


class SourceOrigin(StrEnum):
    """Where a source's configuration lives."""

    FILE = "file"  # the sources file; the sync at start-up owns it
    BOT = "bot"  # added by an admin in the bot; only the database has it


class SourceKind(StrEnum):
    RSS = "rss"  # RSS, Atom, RDF or JSON Feed
    HTML = "html"  # a news-list page read with CSS selectors


@dataclass(frozen=True, slots=True)
class HtmlSelectors:
    """How to read a news-list page that has no feed."""

    item: str
    title: str
    link: str | None = None  # defaults to the title selector
    date: str | None = None
    date_format: str | None = None
    teaser: str | None = None
    image: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One ``[[source]]`` of the sources file."""

    name: str
    url: str
    kind: SourceKind = SourceKind.RSS
    region: str | None = None
    section: str | None = None
    topics: tuple[str, ...] = ()
    interval_seconds: int | None = None
    timezone: str | None = None
    html: HtmlSelectors | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as a feed or page gave it, cleaned but not yet stored or tagged."""

    title: str
    link: str | None = None  # absolute and canonical
    guid: str | None = None
    teaser: str = ""
    text: str = ""
    image_url: str | None = None
    published_at: datetime | None = None  # aware when the source said its zone, else naive
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one fetched document held."""

    items: tuple[FeedItem, ...]
    title: str | None = None
    ttl_seconds: int | None = None  # a feed's <ttl>, in seconds


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A completed HTTP fetch (a 200 with a body, or a 304)."""

    url: str  # the address finally answered
    not_modified: bool
    body: bytes = b""
    charset: str | None = None  # from the Content-Type header
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # new address after a 301/308
    fresh_until: datetime | None = None  # from Cache-Control max-age / Expires
    retry_after_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Tags:
    """What tagging found in a text."""

    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article."""

    id: int
    source_id: int | None
    story_id: int
    identity_key: str
    title: str
    url: str | None
    teaser: str
    text: str
    image_url: str | None
    published_at: datetime
    fetched_at: datetime
    section: str
    regions: tuple[str, ...] = field(default=())
    topics: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """A tagged article ready to be saved: what ingest hands to storage."""

    identity_key: str
    guid: str | None
    url: str | None
    title: str
    title_key: str  # normalised title, for recognising one story told by several sources
    teaser: str
    text: str
    image_url: str | None
    published_at: datetime
    fetched_at: datetime
    section: str
    regions: tuple[str, ...]
    topics: tuple[str, ...]
    content_hash: str
    search_terms: str = ""  # lemmas of title and text, for morphology-aware search


@dataclass(frozen=True, slots=True)
class DraftedFeed:
    """What one fetched document yields: drafts ready to store, and the feed's ``<ttl>``."""

    drafts: tuple[ArticleDraft, ...]
    ttl_seconds: int | None = None


class SaveStatus(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SavedArticle:
    """What storing one draft did."""

    article_id: int
    story_id: int
    status: SaveStatus
    new_story: bool


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source as stored: its configuration and its fetch state."""

    id: int
    name: str
    url: str  # the address fetched now (a permanent redirect changes it)
    configured_url: str  # the address in the sources file
    kind: SourceKind
    region: str | None
    section: str | None
    topics: tuple[str, ...]
    interval_seconds: int
    timezone: str | None
    html: HtmlSelectors | None
    etag: str | None
    last_modified: str | None
    next_fetch_at: datetime | None
    last_fetched_at: datetime | None
    last_success_at: datetime | None
    consecutive_errors: int
    last_error: str | None
    disabled_reason: str | None
    """Disabled by errors (the ingestor's words), not by a person."""
    origin: SourceOrigin = SourceOrigin.FILE
    paused_at: datetime | None = None
    """Paused by an admin (not an error): not fetched until resumed."""
    paused_by: int | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_reason is None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class DeliveryMode(StrEnum):
    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat the bot knows."""

    id: int
    kind: ChatKind
    title: str
    language: str | None
    active: bool
    inactive_reason: str | None = None


RulePart = Literal["regions", "sections", "topics"]
"""Which list of a :class:`Rule` a choice changes."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Regions × sections × topics; an empty part means "any"."""

    id: int
    regions: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    @property
    def is_any(self) -> bool:
        return not (self.regions or self.sections or self.topics)

    def same_choice(self, other: Rule) -> bool:
        return (
            set(self.regions) == set(other.regions)
            and set(self.sections) == set(other.sections)
            and set(self.topics) == set(other.topics)
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    """What one chat (or one forum topic of it) receives, and how."""

    id: int
    chat_id: int
    thread_id: int  # 0 outside forum topics
    mode: DeliveryMode
    digest_time: str  # "HH:MM"
    digest_weekday: int  # Monday 0 … Sunday 6
    timezone: str | None
    quiet_start: str | None
    quiet_end: str | None
    paused: bool
    current_rule_id: int | None
    since: datetime
    rules: tuple[Rule, ...] = ()

    @property
    def current_rule(self) -> Rule | None:
        for rule in self.rules:
            if rule.id == self.current_rule_id:
                return rule
        return None
