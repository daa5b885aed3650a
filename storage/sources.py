"""Sources and their fetch state."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.models import HtmlSelectors, SourceConfig, SourceKind, SourceState
from storage.database import Database
from storage.timestamps import from_db_optional, to_db, to_db_optional

_COLUMNS = (
    "id, name, url, configured_url, kind, region_code, section_slug, topics, interval_seconds,"
    " timezone, html_selectors, etag, last_modified, next_fetch_at, last_fetched_at,"
    " last_success_at, consecutive_errors, last_error, disabled_reason"
)


def _selectors_to_json(selectors: HtmlSelectors | None) -> str | None:
    return None if selectors is None else json.dumps(dataclasses.asdict(selectors))


def _selectors_from_json(text: str | None) -> HtmlSelectors | None:
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    return HtmlSelectors(**data)


def _row_to_state(row: aiosqlite.Row) -> SourceState:
    return SourceState(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        configured_url=row["configured_url"],
        kind=SourceKind(row["kind"]),
        region=row["region_code"],
        section=row["section_slug"],
        topics=tuple(json.loads(row["topics"])),
        interval_seconds=row["interval_seconds"],
        timezone=row["timezone"],
        html=_selectors_from_json(row["html_selectors"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_fetch_at=from_db_optional(row["next_fetch_at"]),
        last_fetched_at=from_db_optional(row["last_fetched_at"]),
        last_success_at=from_db_optional(row["last_success_at"]),
        consecutive_errors=row["consecutive_errors"],
        last_error=row["last_error"],
        disabled_reason=row["disabled_reason"],
    )


class SourceRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def sync_config(
        self,
        configs: Sequence[SourceConfig],
        *,
        default_interval: int,
        first_fetch_at: dict[str, datetime],
        now: datetime,
    ) -> None:
        """Make the table match the sources file.

        New sources are inserted, changed ones updated (a changed address resets the
        fetch state, an unchanged one keeps a permanent redirect's new address), and sources
        no longer in the file are marked ``in_config = 0`` and skipped.
        """
        stamp = to_db(now)
        async with self._db.transaction() as connection:
            await connection.execute("UPDATE sources SET in_config = 0")
            for config in configs:
                await connection.execute(
                    "INSERT INTO sources (name, configured_url, url, kind, region_code,"
                    " section_slug, topics, interval_seconds, timezone, html_selectors,"
                    " next_fetch_at, created_at, updated_at)"
                    " VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
                    " ON CONFLICT (name) DO UPDATE SET"
                    " url = CASE WHEN sources.configured_url = excluded.configured_url"
                    "   THEN sources.url ELSE excluded.url END,"
                    " etag = CASE WHEN sources.configured_url = excluded.configured_url"
                    "   THEN sources.etag ELSE NULL END,"
                    " last_modified = CASE WHEN sources.configured_url = excluded.configured_url"
                    "   THEN sources.last_modified ELSE NULL END,"
                    " configured_url = excluded.configured_url, kind = excluded.kind,"
                    " region_code = excluded.region_code, section_slug = excluded.section_slug,"
                    " topics = excluded.topics, interval_seconds = excluded.interval_seconds,"
                    " timezone = excluded.timezone, html_selectors = excluded.html_selectors,"
                    " in_config = 1, updated_at = excluded.updated_at",
                    (
                        config.name,
                        config.url,
                        config.kind.value,
                        config.region,
                        config.section,
                        json.dumps(config.topics),
                        config.interval_seconds or default_interval,
                        config.timezone,
                        _selectors_to_json(config.html),
                        to_db_optional(first_fetch_at.get(config.name)),
                        stamp,
                    ),
                )

    async def configured(self) -> tuple[SourceState, ...]:
        """Every source in the sources file, enabled or not, by name."""
        async with self._db.connection.execute(
            f"SELECT {_COLUMNS} FROM sources WHERE in_config = 1 ORDER BY name"
        ) as cursor:
            return tuple(_row_to_state(row) for row in await cursor.fetchall())

    async def due(self, now: datetime) -> tuple[SourceState, ...]:
        """Enabled sources whose next fetch time has come, the most overdue first."""
        async with self._db.connection.execute(
            f"SELECT {_COLUMNS} FROM sources WHERE in_config = 1 AND disabled_reason IS NULL"
            " AND (next_fetch_at IS NULL OR next_fetch_at <= ?)"
            " ORDER BY next_fetch_at IS NOT NULL, next_fetch_at, name",
            (to_db(now),),
        ) as cursor:
            return tuple(_row_to_state(row) for row in await cursor.fetchall())

    async def get(self, name: str) -> SourceState | None:
        async with self._db.connection.execute(
            f"SELECT {_COLUMNS} FROM sources WHERE name = ?", (name,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _row_to_state(row)

    async def record_success(
        self,
        source_id: int,
        *,
        now: datetime,
        next_fetch_at: datetime,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None,
    ) -> None:
        async with self._db.transaction() as connection:
            await self.record_success_in(
                connection,
                source_id,
                now=now,
                next_fetch_at=next_fetch_at,
                etag=etag,
                last_modified=last_modified,
                new_url=new_url,
            )

    @staticmethod
    async def record_success_in(
        connection: aiosqlite.Connection,
        source_id: int,
        *,
        now: datetime,
        next_fetch_at: datetime,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None,
    ) -> None:
        """As :meth:`record_success`, inside a transaction the caller holds."""
        stamp = to_db(now)
        await connection.execute(
            "UPDATE sources SET etag = ?, last_modified = ?, url = COALESCE(?, url),"
            " next_fetch_at = ?, last_fetched_at = ?, last_success_at = ?,"
            " consecutive_errors = 0, last_error = NULL, updated_at = ? WHERE id = ?",
            (etag, last_modified, new_url, to_db(next_fetch_at), stamp, stamp, stamp, source_id),
        )

    async def record_failure(
        self,
        source_id: int,
        *,
        now: datetime,
        next_fetch_at: datetime,
        error: str,
        disable_reason: str | None,
    ) -> None:
        stamp = to_db(now)
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE sources SET consecutive_errors = consecutive_errors + 1,"
                " last_error = ?, next_fetch_at = ?, last_fetched_at = ?,"
                " disabled_reason = COALESCE(?, disabled_reason), updated_at = ? WHERE id = ?",
                (error, to_db(next_fetch_at), stamp, disable_reason, stamp, source_id),
            )

    async def enable(self, name: str, *, now: datetime) -> bool:
        """Re-enable a disabled source and fetch it at once. False if there is no such source."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE sources SET disabled_reason = NULL, consecutive_errors = 0,"
                " next_fetch_at = ?, updated_at = ? WHERE name = ?",
                (to_db(now), to_db(now), name),
            )
            return cursor.rowcount > 0
