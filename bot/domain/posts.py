"""Editors' posts as the layers pass them (see :mod:`bot.desk.posts`, :mod:`storage.posts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PostFields:
    """What an editor writes."""

    title: str
    body_html: str
    photo_file_id: str | None
    regions: tuple[str, ...]
    section: str | None
    topics: tuple[str, ...]
    urgent: bool


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    author_id: int
    state: str
    fields: PostFields
    publish_at: datetime | None
    article_id: int | None
    published_at: datetime | None
    retracted_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    delivered: int = 0
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class PostLine:
    """A post as ``/posts`` lists it."""

    post: Post
    counts: DeliveryCounts
