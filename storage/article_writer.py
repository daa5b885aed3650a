"""Saving a source's batch of drafts in a handful of statements, inside one transaction.

A feed of fifty items costs a few round trips to SQLite instead of a few hundred: existing
articles and candidate stories are read with ``IN`` lists, decisions are made in Python, and
rows are written with ``executemany``. Ids are assigned here, which is safe because
:func:`save_drafts` is a unit of work run inside a write transaction (``BEGIN IMMEDIATE``)
that no other writer can interleave with. (SQLite-specific only in that reasoning: under
PostgreSQL ids would come from sequences.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.models import ArticleDraft, SavedArticle, SaveStatus
from storage.timestamps import from_db, to_db

STORY_WINDOW = timedelta(hours=72)
"""Two sources' items with the same normalised title this close in time are one story."""
_CHUNK = 400  # stays far below SQLite's limit on bound parameters


@dataclass(slots=True)
class _Stored:
    id: int
    story_id: int
    content_hash: str
    identity_key: str
    url: str | None


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _rows(
    connection: sqlite3.Connection, sql: str, values: Sequence[str], *prefix: object
) -> list[sqlite3.Row]:
    """``sql`` has one ``{marks}`` placeholder for an ``IN`` list of ``values``."""
    found: list[sqlite3.Row] = []
    for chunk in _chunks(values):
        marks = ",".join("?" * len(chunk))
        found.extend(connection.execute(sql.format(marks=marks), (*prefix, *chunk)))
    return found


def _next_id(connection: sqlite3.Connection, table: str) -> int:
    row = connection.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()
    return 1 if row is None else int(row[0])


class _StoryIndex:
    """Where a new article's story is: same address anywhere, or same title within 72 h."""

    def __init__(self) -> None:
        self.by_url: dict[str, int] = {}
        self.by_title: dict[str, list[tuple[datetime, int]]] = {}

    def add(self, url: str | None, title_key: str, published_at: datetime, story_id: int) -> None:
        if url is not None:
            self.by_url.setdefault(url, story_id)
        if title_key:
            self.by_title.setdefault(title_key, []).append((published_at, story_id))

    def find(self, draft: ArticleDraft) -> int | None:
        if draft.url is not None and draft.url in self.by_url:
            return self.by_url[draft.url]
        for published_at, story_id in self.by_title.get(draft.title_key, ()):
            if abs(published_at - draft.published_at) <= STORY_WINDOW:
                return story_id
        return None


def _existing(
    connection: sqlite3.Connection, source_id: int | None, drafts: Sequence[ArticleDraft]
) -> tuple[dict[str, _Stored], dict[str, _Stored]]:
    by_identity: dict[str, _Stored] = {}
    by_url: dict[str, _Stored] = {}
    columns = "id, story_id, content_hash, identity_key, url"
    identities = sorted({d.identity_key for d in drafts})
    for row in _rows(
        connection,
        f"SELECT {columns} FROM articles WHERE source_id IS ? AND identity_key IN ({{marks}})",
        identities,
        source_id,
    ):
        stored = _Stored(*row)
        by_identity[stored.identity_key] = stored
    urls = sorted({d.url for d in drafts if d.url is not None})
    for row in _rows(
        connection,
        f"SELECT {columns} FROM articles WHERE source_id IS ? AND url IN ({{marks}})"
        " ORDER BY id DESC",
        urls,
        source_id,
    ):
        stored = _Stored(*row)
        if stored.url is not None:
            by_url[stored.url] = stored  # descending ids: the oldest one wins
    return by_identity, by_url


def _story_index(connection: sqlite3.Connection, drafts: Iterable[ArticleDraft]) -> _StoryIndex:
    index = _StoryIndex()
    drafts = list(drafts)
    urls = sorted({d.url for d in drafts if d.url is not None})
    for row in _rows(
        connection,
        "SELECT url, story_id, title_key, published_at FROM articles WHERE url IN ({marks})"
        " ORDER BY id",
        urls,
    ):
        index.add(row[0], "", from_db(row[3]), int(row[1]))
    titles = sorted({d.title_key for d in drafts if d.title_key})
    for row in _rows(
        connection,
        "SELECT title_key, published_at, story_id FROM articles WHERE title_key IN ({marks})"
        " ORDER BY id",
        titles,
    ):
        index.add(None, row[0], from_db(row[1]), int(row[2]))
    return index


@dataclass(slots=True)
class _Plan:
    """What a batch will write, decided in Python before any statement runs."""

    next_article: int
    next_story: int
    results: list[SavedArticle] = field(default_factory=list)
    new_stories: list[tuple[int, str, str]] = field(default_factory=list)
    inserts: list[tuple[int, int, ArticleDraft]] = field(default_factory=list)
    updates: list[tuple[int, ArticleDraft]] = field(default_factory=list)
    renames: list[tuple[str, str | None, int]] = field(default_factory=list)

    def keep(self, stored: _Stored, draft: ArticleDraft) -> None:
        if stored.identity_key != draft.identity_key:  # the feed renamed its guid
            self.renames.append((draft.identity_key, draft.guid, stored.id))
        self.results.append(SavedArticle(stored.id, stored.story_id, SaveStatus.UNCHANGED, False))

    def update(self, stored: _Stored, draft: ArticleDraft) -> None:
        """A changed article; one that this batch already writes just takes the newer draft."""
        stored.content_hash = draft.content_hash
        for index, (article_id, story_id, _) in enumerate(self.inserts):
            if article_id == stored.id:  # a feed repeating an item with other content
                self.inserts[index] = (article_id, story_id, draft)
                self.results.append(SavedArticle(stored.id, story_id, SaveStatus.UNCHANGED, False))
                return
        for index, (article_id, _) in enumerate(self.updates):
            if article_id == stored.id:
                self.updates[index] = (article_id, draft)
                self.results.append(
                    SavedArticle(stored.id, stored.story_id, SaveStatus.UNCHANGED, False)
                )
                return
        self.updates.append((stored.id, draft))
        self.results.append(SavedArticle(stored.id, stored.story_id, SaveStatus.UPDATED, False))

    def insert(self, draft: ArticleDraft, story_id: int | None) -> _Stored:
        new_story = story_id is None
        if story_id is None:
            story_id = self.next_story
            self.next_story += 1
            self.new_stories.append((story_id, draft.title_key, to_db(draft.fetched_at)))
        article_id = self.next_article
        self.next_article += 1
        self.inserts.append((article_id, story_id, draft))
        self.results.append(SavedArticle(article_id, story_id, SaveStatus.NEW, new_story))
        return _Stored(article_id, story_id, draft.content_hash, draft.identity_key, draft.url)

    def write(self, connection: sqlite3.Connection, source_id: int | None) -> None:
        connection.executemany(
            "INSERT INTO stories (id, title_key, created_at) VALUES (?, ?, ?)", self.new_stories
        )
        connection.executemany(
            "INSERT INTO articles (id, source_id, story_id, identity_key, guid, url, title,"
            " title_key, teaser, text, image_url, section_slug, published_at, fetched_at,"
            " updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (article_id, source_id, story_id, *_article_values(draft))
                for article_id, story_id, draft in self.inserts
            ],
        )
        connection.executemany(
            "UPDATE articles SET identity_key = ?, guid = ? WHERE id = ?", self.renames
        )
        connection.executemany(
            "UPDATE articles SET identity_key = ?, guid = ?, url = ?, title = ?, title_key = ?,"
            " teaser = ?, text = ?, image_url = ?, section_slug = ?, published_at = ?,"
            " fetched_at = ?, updated_at = ?, content_hash = ? WHERE id = ?",
            [(*_article_values(draft), article_id) for article_id, draft in self.updates],
        )
        _write_tags(
            connection, self.updates, replaced=[article_id for article_id, _ in self.updates]
        )
        _write_tags(
            connection,
            [(article_id, draft) for article_id, _, draft in self.inserts],
            replaced=[],
        )


def save_drafts(
    connection: sqlite3.Connection, source_id: int | None, drafts: Sequence[ArticleDraft]
) -> list[SavedArticle]:
    """Unit of work: insert or update every draft; one :class:`SavedArticle` per draft, in
    order. Run it inside a write (:meth:`storage.database.Database.write`).

    The same article is found by its identity key, else by its canonical address from the
    same source (a feed that changed its guids). A new article joins the story of an article
    with the same address, or the same normalised title within 72 hours, from any source.
    """
    if not drafts:
        return []
    by_identity, by_url = _existing(connection, source_id, drafts)
    plan = _Plan(
        next_article=_next_id(connection, "articles"),
        next_story=_next_id(connection, "stories"),
    )
    stories: _StoryIndex | None = None
    for draft in drafts:
        stored = by_identity.get(draft.identity_key)
        if stored is None and draft.url is not None:
            stored = by_url.get(draft.url)
        if stored is not None:
            if stored.content_hash == draft.content_hash:
                plan.keep(stored, draft)
            else:
                plan.update(stored, draft)
            stored.identity_key = draft.identity_key
        else:
            if stories is None:
                stories = _story_index(connection, drafts)
            stored = plan.insert(draft, stories.find(draft))
            stories.add(draft.url, draft.title_key, draft.published_at, stored.story_id)
            if draft.url is not None:
                by_url.setdefault(draft.url, stored)
        by_identity[draft.identity_key] = stored
    plan.write(connection, source_id)
    return plan.results


def _article_values(draft: ArticleDraft) -> tuple[object, ...]:
    return (
        draft.identity_key,
        draft.guid,
        draft.url,
        draft.title,
        draft.title_key,
        draft.teaser,
        draft.text,
        draft.image_url,
        draft.section,
        to_db(draft.published_at),
        to_db(draft.fetched_at),
        to_db(draft.fetched_at),
        draft.content_hash,
    )


def _write_tags(
    connection: sqlite3.Connection,
    articles: Sequence[tuple[int, ArticleDraft]],
    *,
    replaced: Sequence[int],
) -> None:
    """Regions, topics and search terms of ``articles``; ``replaced`` ids lose theirs first."""
    gone = [(article_id,) for article_id in replaced]
    connection.executemany("DELETE FROM article_regions WHERE article_id = ?", gone)
    connection.executemany("DELETE FROM article_topics WHERE article_id = ?", gone)
    connection.executemany("DELETE FROM article_search WHERE rowid = ?", gone)
    connection.executemany(
        "INSERT OR IGNORE INTO article_regions (article_id, region_code) VALUES (?, ?)",
        [(article_id, code) for article_id, d in articles for code in d.regions],
    )
    connection.executemany(
        "INSERT OR IGNORE INTO article_topics (article_id, topic_slug) VALUES (?, ?)",
        [(article_id, slug) for article_id, d in articles for slug in d.topics],
    )
    connection.executemany(
        "INSERT INTO article_search (rowid, terms) VALUES (?, ?)",
        [(article_id, d.search_terms) for article_id, d in articles if d.search_terms],
    )
