"""Articles, the stories they tell, their regions and topics, and the search index."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import Article, ArticleDraft, SavedArticle
from storage.article_writer import save_drafts
from storage.database import Database
from storage.timestamps import from_db


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles to list. An empty tuple means "any"."""

    regions: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


ARTICLE_COLUMNS = (
    "a.id, a.source_id, a.story_id, a.identity_key, a.title, a.url, a.teaser, a.text,"
    " a.image_url, a.published_at, a.fetched_at, a.section_slug,"
    " (SELECT group_concat(region_code, ' ') FROM"
    "   (SELECT region_code FROM article_regions WHERE article_id = a.id"
    "    ORDER BY region_code)) AS regions,"
    " (SELECT group_concat(topic_slug, ' ') FROM"
    "   (SELECT topic_slug FROM article_topics WHERE article_id = a.id"
    "    ORDER BY topic_slug)) AS topics"
)


def row_to_article(row: sqlite3.Row) -> Article:
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
        self, source_id: int | None, drafts: Sequence[ArticleDraft]
    ) -> list[SavedArticle]:
        """Insert or update drafts in one write (see :func:`save_drafts`, the unit of work;
        :mod:`storage.ingest_writes` composes it with the source's fetch state)."""
        return await self._db.write(lambda connection: save_drafts(connection, source_id, drafts))

    async def get_many(self, ids: Sequence[int]) -> tuple[Article, ...]:
        if not ids:
            return ()
        marks = ",".join("?" * len(ids))
        return await self._articles(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id IN ({marks})"
            " ORDER BY a.published_at DESC, a.id DESC",
            tuple(ids),
        )

    async def latest(
        self, filters: Sequence[ArticleFilter], *, limit: int, offset: int = 0
    ) -> tuple[Article, ...]:
        """The newest articles matching any of the filters (all, if none), one per story."""
        clauses = [_filter_clause(article_filter) for article_filter in filters]
        where = " OR ".join(f"({clause})" for clause, _ in clauses) or "1 = 1"
        params = tuple(param for _, clause_params in clauses for param in clause_params)
        return await self._articles(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE ({where})"
            " AND a.id = (SELECT MIN(b.id) FROM articles b WHERE b.story_id = a.story_id)"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    async def search(self, match: str, *, limit: int, offset: int = 0) -> tuple[Article, ...]:
        """Articles whose lemmatised terms satisfy the FTS5 ``match`` expression, newest first."""
        return await self._articles(
            f"SELECT {ARTICLE_COLUMNS} FROM articles a"
            " WHERE a.id IN (SELECT rowid FROM article_search WHERE article_search MATCH ?)"
            " AND a.id = (SELECT MIN(b.id) FROM articles b WHERE b.story_id = a.story_id)"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
            (match, limit, offset),
        )

    async def count(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM articles")
        return 0 if row is None else int(row[0])

    async def newest_published_at(self) -> datetime | None:
        row = await self._one("SELECT MAX(published_at) FROM articles")
        return None if row is None or row[0] is None else from_db(row[0])

    async def _articles(self, sql: str, params: tuple[object, ...]) -> tuple[Article, ...]:
        """Run an article query and build the articles, in one hop to the database's thread."""

        def articles(connection: sqlite3.Connection) -> tuple[Article, ...]:
            return tuple(row_to_article(row) for row in connection.execute(sql, params))

        return await self._db.read(articles)

    async def _one(self, sql: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._db.read(
            lambda connection: connection.execute(sql).fetchone()
        )
        return row


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
