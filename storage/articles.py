"""Articles, the stories they tell, their regions and topics, and the search index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.models import Article, ArticleDraft, SavedArticle, SaveStatus
from storage.database import Database
from storage.timestamps import from_db, to_db

STORY_WINDOW = timedelta(hours=72)
"""Two sources' items with the same normalised title this close in time are one story."""


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles to list. An empty tuple means "any"."""

    regions: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


_ARTICLE_COLUMNS = (
    "a.id, a.source_id, a.story_id, a.identity_key, a.title, a.url, a.teaser, a.text,"
    " a.image_url, a.published_at, a.fetched_at, a.section_slug,"
    " (SELECT group_concat(region_code, ' ') FROM"
    "   (SELECT region_code FROM article_regions WHERE article_id = a.id"
    "    ORDER BY region_code)) AS regions,"
    " (SELECT group_concat(topic_slug, ' ') FROM"
    "   (SELECT topic_slug FROM article_topics WHERE article_id = a.id"
    "    ORDER BY topic_slug)) AS topics"
)


def _row_to_article(row: aiosqlite.Row) -> Article:
    return Article(
        id=row["id"],
        source_id=row["source_id"],
        story_id=row["story_id"],
        identity_key=row["identity_key"],
        title=row["title"],
        url=row["url"],
        teaser=row["teaser"],
        text=row["text"],
        image_url=row["image_url"],
        published_at=from_db(row["published_at"]),
        fetched_at=from_db(row["fetched_at"]),
        section=row["section_slug"],
        regions=tuple((row["regions"] or "").split()),
        topics=tuple((row["topics"] or "").split()),
    )


class ArticleRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def save(
        self, connection: aiosqlite.Connection, source_id: int | None, draft: ArticleDraft
    ) -> SavedArticle:
        """Insert or update one draft inside the caller's transaction.

        The same article is found by its identity key, else by its canonical address from
        the same source (a feed that changed its guids). A new article joins the story of
        an article with the same address or the same normalised title within 72 hours.
        """
        existing = await self._find_existing(connection, source_id, draft)
        if existing is not None:
            article_id, story_id, content_hash, stored_identity = existing
            if content_hash == draft.content_hash:
                if stored_identity != draft.identity_key:  # the feed renamed its guid
                    await connection.execute(
                        "UPDATE articles SET identity_key = ?, guid = ? WHERE id = ?",
                        (draft.identity_key, draft.guid, article_id),
                    )
                return SavedArticle(article_id, story_id, SaveStatus.UNCHANGED, new_story=False)
            await connection.execute(
                "UPDATE articles SET identity_key = ?, guid = ?, url = ?, title = ?,"
                " title_key = ?, teaser = ?, text = ?, image_url = ?, section_slug = ?,"
                " published_at = ?, updated_at = ?, content_hash = ? WHERE id = ?",
                (
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
                    draft.content_hash,
                    article_id,
                ),
            )
            await self._write_tags(connection, article_id, draft, replace=True)
            return SavedArticle(article_id, story_id, SaveStatus.UPDATED, new_story=False)

        found_story = await self._find_story(connection, draft)
        new_story = found_story is None
        if found_story is None:
            cursor = await connection.execute(
                "INSERT INTO stories (title_key, created_at) VALUES (?, ?)",
                (draft.title_key, to_db(draft.fetched_at)),
            )
            story_id = _last_id(cursor)
        else:
            story_id = found_story
        cursor = await connection.execute(
            "INSERT INTO articles (source_id, story_id, identity_key, guid, url, title,"
            " title_key, teaser, text, image_url, section_slug, published_at, fetched_at,"
            " updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source_id,
                story_id,
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
            ),
        )
        article_id = _last_id(cursor)
        await self._write_tags(connection, article_id, draft, replace=False)
        return SavedArticle(article_id, story_id, SaveStatus.NEW, new_story=new_story)

    async def _find_existing(
        self, connection: aiosqlite.Connection, source_id: int | None, draft: ArticleDraft
    ) -> tuple[int, int, str, str] | None:
        async with connection.execute(
            "SELECT id, story_id, content_hash, identity_key FROM articles"
            " WHERE source_id IS ? AND identity_key = ?",
            (source_id, draft.identity_key),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None and draft.url is not None:
            async with connection.execute(
                "SELECT id, story_id, content_hash, identity_key FROM articles"
                " WHERE source_id IS ? AND url = ? ORDER BY id LIMIT 1",
                (source_id, draft.url),
            ) as cursor:
                row = await cursor.fetchone()
        return None if row is None else (int(row[0]), int(row[1]), str(row[2]), str(row[3]))

    async def _find_story(
        self, connection: aiosqlite.Connection, draft: ArticleDraft
    ) -> int | None:
        if draft.url is not None:
            async with connection.execute(
                "SELECT story_id FROM articles WHERE url = ? ORDER BY id LIMIT 1", (draft.url,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                return int(row[0])
        if not draft.title_key:
            return None
        async with connection.execute(
            "SELECT story_id FROM articles WHERE title_key = ?"
            " AND published_at BETWEEN ? AND ? ORDER BY id LIMIT 1",
            (
                draft.title_key,
                to_db(draft.published_at - STORY_WINDOW),
                to_db(draft.published_at + STORY_WINDOW),
            ),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    async def _write_tags(
        connection: aiosqlite.Connection, article_id: int, draft: ArticleDraft, *, replace: bool
    ) -> None:
        if replace:
            await connection.execute(
                "DELETE FROM article_regions WHERE article_id = ?", (article_id,)
            )
            await connection.execute(
                "DELETE FROM article_topics WHERE article_id = ?", (article_id,)
            )
            await connection.execute("DELETE FROM article_search WHERE rowid = ?", (article_id,))
        await connection.executemany(
            "INSERT OR IGNORE INTO article_regions (article_id, region_code) VALUES (?, ?)",
            [(article_id, code) for code in draft.regions],
        )
        await connection.executemany(
            "INSERT OR IGNORE INTO article_topics (article_id, topic_slug) VALUES (?, ?)",
            [(article_id, slug) for slug in draft.topics],
        )
        if draft.search_terms:
            await connection.execute(
                "INSERT INTO article_search (rowid, terms) VALUES (?, ?)",
                (article_id, draft.search_terms),
            )

    async def get_many(self, ids: Sequence[int]) -> tuple[Article, ...]:
        if not ids:
            return ()
        marks = ",".join("?" * len(ids))
        async with self._db.connection.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE a.id IN ({marks})"
            " ORDER BY a.published_at DESC, a.id DESC",
            tuple(ids),
        ) as cursor:
            return tuple(_row_to_article(row) for row in await cursor.fetchall())

    async def latest(
        self, filters: Sequence[ArticleFilter], *, limit: int, offset: int = 0
    ) -> tuple[Article, ...]:
        """The newest articles matching any of the filters (all, if none), one per story."""
        clauses = [_filter_clause(article_filter) for article_filter in filters]
        where = " OR ".join(f"({clause})" for clause, _ in clauses) or "1 = 1"
        params = tuple(param for _, clause_params in clauses for param in clause_params)
        async with self._db.connection.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE ({where})"
            " AND a.id = (SELECT MIN(b.id) FROM articles b WHERE b.story_id = a.story_id)"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cursor:
            return tuple(_row_to_article(row) for row in await cursor.fetchall())

    async def search(self, match: str, *, limit: int, offset: int = 0) -> tuple[Article, ...]:
        """Articles whose lemmatised terms satisfy the FTS5 ``match`` expression, newest first."""
        async with self._db.connection.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a"
            " WHERE a.id IN (SELECT rowid FROM article_search WHERE article_search MATCH ?)"
            " AND a.id = (SELECT MIN(b.id) FROM articles b WHERE b.story_id = a.story_id)"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
            (match, limit, offset),
        ) as cursor:
            return tuple(_row_to_article(row) for row in await cursor.fetchall())

    async def count(self) -> int:
        async with self._db.connection.execute("SELECT COUNT(*) FROM articles") as cursor:
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])

    async def newest_published_at(self) -> datetime | None:
        async with self._db.connection.execute("SELECT MAX(published_at) FROM articles") as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else from_db(row[0])


def _filter_clause(article_filter: ArticleFilter) -> tuple[str, tuple[str, ...]]:
    clauses = ["1 = 1"]
    params: list[str] = []
    if article_filter.regions:
        marks = ",".join("?" * len(article_filter.regions))
        clauses.append(
            "EXISTS (SELECT 1 FROM article_regions r WHERE r.article_id = a.id"
            f" AND r.region_code IN ({marks}))"
        )
        params.extend(article_filter.regions)
    if article_filter.sections:
        marks = ",".join("?" * len(article_filter.sections))
        clauses.append(f"a.section_slug IN ({marks})")
        params.extend(article_filter.sections)
    if article_filter.topics:
        marks = ",".join("?" * len(article_filter.topics))
        clauses.append(
            "EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = a.id"
            f" AND t.topic_slug IN ({marks}))"
        )
        params.extend(article_filter.topics)
    return " AND ".join(clauses), tuple(params)


def _last_id(cursor: aiosqlite.Cursor) -> int:
    if cursor.lastrowid is None:
        raise RuntimeError("SQLite returned no row id for an INSERT")
    return cursor.lastrowid
