"""Writes of an ingest pass that must land together: a source's articles and its new fetch
state, in one transaction, so a crash never stores articles without moving the source on
(or moves it on without its articles)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.domain.models import ArticleDraft, SavedArticle
from storage import sources
from storage.article_writer import save_drafts
from storage.database import Database
from storage.sources import FetchSuccess


def save_fetched(
    connection: sqlite3.Connection,
    source_id: int,
    drafts: Sequence[ArticleDraft],
    success: FetchSuccess,
) -> list[SavedArticle]:
    """Unit of work: store ``drafts`` (see :func:`save_drafts`) and record the successful
    fetch (see :func:`storage.sources.record_success`)."""
    saved = save_drafts(connection, source_id, drafts)
    sources.record_success(connection, source_id, success)
    return saved


class IngestWrites:
    """The ingest service's composed writes, each one :meth:`Database.write`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def save_fetched(
        self, source_id: int, drafts: Sequence[ArticleDraft], success: FetchSuccess
    ) -> list[SavedArticle]:
        """See :func:`save_fetched`."""
        return await self._db.write(
            lambda connection: save_fetched(connection, source_id, drafts, success)
        )
