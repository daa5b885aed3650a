"""Regions, sections and topics: reference data loaded into the database at start-up."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.domain.models import Region, Section, Topic
from storage.database import Database


class ReferenceRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def sync(
        self, regions: Sequence[Region], sections: Sequence[Section], topics: Sequence[Topic]
    ) -> None:
        """Insert or update every row; rows no longer shipped are kept (articles refer to them)."""
        await self._db.write(
            lambda connection: sync_reference(connection, regions, sections, topics)
        )

    async def regions(self) -> tuple[Region, ...]:
        return await self._db.read(select_regions)

    async def sections(self) -> tuple[Section, ...]:
        return await self._db.read(select_sections)

    async def topics(self) -> tuple[Topic, ...]:
        return await self._db.read(select_topics)

    async def region_article_counts(self) -> dict[str, int]:
        """How many articles each region has: regions with news come first in keyboards."""
        return await self._db.read(select_region_article_counts)


def select_regions(connection: sqlite3.Connection) -> tuple[Region, ...]:
    """Unit of work: every region, by name."""
    rows = connection.execute(
        "SELECT code, name, name_en, kind, federal_district, timezone, capital"
        " FROM regions ORDER BY name"
    )
    return tuple(Region(*row) for row in rows)


def select_sections(connection: sqlite3.Connection) -> tuple[Section, ...]:
    """Unit of work: every section, in the configured order."""
    rows = connection.execute("SELECT slug, name, name_en FROM sections ORDER BY position, slug")
    return tuple(Section(*row) for row in rows)


def select_topics(connection: sqlite3.Connection) -> tuple[Topic, ...]:
    """Unit of work: every topic with its keywords, in the configured order."""
    rows = connection.execute(
        "SELECT slug, name, name_en, keywords FROM topics ORDER BY position, slug"
    )
    return tuple(Topic(row[0], row[1], row[2], tuple(json.loads(row[3]))) for row in rows)


def select_region_article_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Unit of work: how many articles each region has."""
    rows = connection.execute(
        "SELECT region_code, COUNT(*) FROM article_regions GROUP BY region_code"
    )
    return {str(row[0]): int(row[1]) for row in rows}


def sync_reference(
    connection: sqlite3.Connection,
    regions: Sequence[Region],
    sections: Sequence[Section],
    topics: Sequence[Topic],
) -> None:
    """Unit of work: insert or update every row; rows no longer shipped are kept."""
    connection.executemany(
        "INSERT INTO regions (code, name, name_en, kind, federal_district, timezone,"
        " capital) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET"
        " name = excluded.name, name_en = excluded.name_en, kind = excluded.kind,"
        " federal_district = excluded.federal_district, timezone = excluded.timezone,"
        " capital = excluded.capital",
        [
            (r.code, r.name, r.name_en, r.kind, r.federal_district, r.timezone, r.capital)
            for r in regions
        ],
    )
    connection.executemany(
        "INSERT INTO sections (slug, name, name_en, position) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
        " name_en = excluded.name_en, position = excluded.position",
        [(s.slug, s.name, s.name_en, index) for index, s in enumerate(sections)],
    )
    connection.executemany(
        "INSERT INTO topics (slug, name, name_en, keywords, position)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
        " name_en = excluded.name_en, keywords = excluded.keywords,"
        " position = excluded.position",
        [
            (t.slug, t.name, t.name_en, json.dumps(t.keywords, ensure_ascii=False), index)
            for index, t in enumerate(topics)
        ],
    )
