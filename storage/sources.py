"""Sources and their fetch state: unit-of-work functions, and a repository that runs them."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.models import HtmlSelectors, SourceConfig, SourceKind, SourceOrigin, SourceState
from storage.database import Database
from storage.timestamps import from_db_optional, to_db, to_db_optional

SOURCE_COLUMNS = (
    "id, name, url, configured_url, kind, region_code, section_slug, topics, interval_seconds,"
    " timezone, html_selectors, etag, last_modified, next_fetch_at, last_fetched_at,"
    " last_success_at, consecutive_errors, last_error, disabled_reason, origin, paused_at,"
    " paused_by"
)


def selectors_to_json(selectors: HtmlSelectors | None) -> str | None:
    return None if selectors is None else json.dumps(dataclasses.asdict(selectors))


def _selectors_from_json(text: str | None) -> HtmlSelectors | None:
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    return HtmlSelectors(**data)


def row_to_source_state(row: sqlite3.Row) -> SourceState:
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
        origin=SourceOrigin(row["origin"]),
        paused_at=from_db_optional(row["paused_at"]),
        paused_by=row["paused_by"],
    )


@dataclass(frozen=True, slots=True)
class FetchSuccess:
    """A source's fetch state after a successful (or not-modified) fetch."""

    now: datetime
    next_fetch_at: datetime
    etag: str | None
    last_modified: str | None
    new_url: str | None = None
    """The address a permanent redirect moved the source to, if any."""


@dataclass(frozen=True, slots=True)
class FetchFailure:
    now: datetime
    next_fetch_at: datetime
    error: str
    disable_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What syncing the sources file changed beyond the configuration itself."""

    restarted: tuple[str, ...] = ()
    """Sources whose configuration changed while they were disabled or failing: enabled
    again, error count reset, fetched soon."""
    refused: tuple[str, ...] = ()
    """Sources of the file whose name a source added in the bot already has: not synced."""


def _config_values(config: SourceConfig, default_interval: int) -> tuple[object, ...]:
    """The configuration columns, in :data:`_CONFIG_COLUMNS` order."""
    return (
        config.url,
        config.kind.value,
        config.region,
        config.section,
        json.dumps(config.topics),
        config.interval_seconds or default_interval,
        config.timezone,
        selectors_to_json(config.html),
    )


_CONFIG_COLUMNS = (
    "configured_url, kind, region_code, section_slug, topics, interval_seconds, timezone,"
    " html_selectors"
)


def sync_config(
    connection: sqlite3.Connection,
    configs: Sequence[SourceConfig],
    *,
    default_interval: int,
    first_fetch_at: dict[str, datetime],
    now: datetime,
) -> SyncOutcome:
    """Unit of work: make the table match the sources file.

    New sources are inserted, changed ones updated (a changed address resets the fetch
    state, an unchanged one keeps a permanent redirect's new address), and sources no longer
    in the file are marked ``in_config = 0`` and skipped. Any changed configuration of a
    disabled or failing source is a fresh start: enabled, errors forgotten, due at its
    ``first_fetch_at``. A source never fetched yet is due no later than its
    ``first_fetch_at``.

    Sources added in the bot (``origin = 'bot'``) are not the file's: they are neither
    updated nor marked, and a file source with the name of one is refused
    (:attr:`SyncOutcome.refused`) rather than overwrite it.
    """
    stamp = to_db(now)
    stored = {
        str(row["name"]): row
        for row in connection.execute(
            f"SELECT name, {_CONFIG_COLUMNS}, consecutive_errors, disabled_reason, origin"
            " FROM sources"
        )
    }
    restarted: list[str] = []
    refused: list[str] = []
    connection.execute("UPDATE sources SET in_config = 0 WHERE origin = 'file'")
    for config in configs:
        if config.name in stored and stored[config.name]["origin"] != SourceOrigin.FILE:
            refused.append(config.name)
            continue
        values = _config_values(config, default_interval)
        first = to_db_optional(first_fetch_at.get(config.name))
        old = stored.get(config.name)
        if old is not None and tuple(old)[1:9] != values:
            if old["disabled_reason"] is not None or old["consecutive_errors"] > 0:
                restarted.append(config.name)
            connection.execute(
                "UPDATE sources SET consecutive_errors = 0, last_error = NULL,"
                " disabled_reason = NULL, next_fetch_at = ? WHERE name = ?"
                " AND (disabled_reason IS NOT NULL OR consecutive_errors > 0)",
                (first or stamp, config.name),
            )
        connection.execute(
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
            " next_fetch_at = CASE WHEN sources.last_fetched_at IS NULL"
            "   AND excluded.next_fetch_at IS NOT NULL"
            "   AND (sources.next_fetch_at IS NULL"
            "     OR sources.next_fetch_at > excluded.next_fetch_at)"
            "   THEN excluded.next_fetch_at ELSE sources.next_fetch_at END,"
            " configured_url = excluded.configured_url, kind = excluded.kind,"
            " region_code = excluded.region_code, section_slug = excluded.section_slug,"
            " topics = excluded.topics, interval_seconds = excluded.interval_seconds,"
            " timezone = excluded.timezone, html_selectors = excluded.html_selectors,"
            " in_config = 1, updated_at = excluded.updated_at",
            (config.name, *values, first, stamp),
        )
    return SyncOutcome(tuple(restarted), tuple(refused))


def configured(connection: sqlite3.Connection) -> tuple[SourceState, ...]:
    """Unit of work: every source in use (in the sources file or added in the bot), enabled,
    disabled or paused, by name."""
    rows = connection.execute(
        f"SELECT {SOURCE_COLUMNS} FROM sources WHERE in_config = 1 ORDER BY name"
    )
    return tuple(row_to_source_state(row) for row in rows)


def due(connection: sqlite3.Connection, now: datetime) -> tuple[SourceState, ...]:
    """Unit of work: enabled, unpaused sources whose next fetch time has come, the most
    overdue first."""
    rows = connection.execute(
        f"SELECT {SOURCE_COLUMNS} FROM sources WHERE in_config = 1 AND disabled_reason IS NULL"
        " AND paused_at IS NULL"
        " AND (next_fetch_at IS NULL OR next_fetch_at <= ?)"
        " ORDER BY next_fetch_at IS NOT NULL, next_fetch_at, name",
        (to_db(now),),
    )
    return tuple(row_to_source_state(row) for row in rows)


def get(connection: sqlite3.Connection, name: str) -> SourceState | None:
    """Unit of work: one source by name, configured or not."""
    row = connection.execute(
        f"SELECT {SOURCE_COLUMNS} FROM sources WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else row_to_source_state(row)


def record_success(connection: sqlite3.Connection, source_id: int, success: FetchSuccess) -> None:
    """Unit of work: a fetch succeeded; errors are forgotten, the next fetch is planned."""
    stamp = to_db(success.now)
    connection.execute(
        "UPDATE sources SET etag = ?, last_modified = ?, url = COALESCE(?, url),"
        " next_fetch_at = ?, last_fetched_at = ?, last_success_at = ?,"
        " consecutive_errors = 0, last_error = NULL, updated_at = ? WHERE id = ?",
        (
            success.etag,
            success.last_modified,
            success.new_url,
            to_db(success.next_fetch_at),
            stamp,
            stamp,
            stamp,
            source_id,
        ),
    )


def record_failure(connection: sqlite3.Connection, source_id: int, failure: FetchFailure) -> None:
    """Unit of work: a fetch failed; counted, backed off, and maybe disabled with a reason."""
    stamp = to_db(failure.now)
    connection.execute(
        "UPDATE sources SET consecutive_errors = consecutive_errors + 1,"
        " last_error = ?, next_fetch_at = ?, last_fetched_at = ?,"
        " disabled_reason = COALESCE(?, disabled_reason), updated_at = ? WHERE id = ?",
        (
            failure.error,
            to_db(failure.next_fetch_at),
            stamp,
            failure.disable_reason,
            stamp,
            source_id,
        ),
    )


def enable(connection: sqlite3.Connection, name: str, now: datetime) -> SourceState | None:
    """Unit of work: enable a configured source, forget its errors and make it due now.

    Returns the source as it was before (so the caller can say what it was disabled for),
    or ``None`` if no source of that name is in the sources file.
    """
    before = get(connection, name)
    if before is None or not _in_config(connection, name):
        return None
    connection.execute(
        "UPDATE sources SET disabled_reason = NULL, consecutive_errors = 0, last_error = NULL,"
        " next_fetch_at = ?, updated_at = ? WHERE name = ?",
        (to_db(now), to_db(now), name),
    )
    return before


def _in_config(connection: sqlite3.Connection, name: str) -> bool:
    row = connection.execute("SELECT in_config FROM sources WHERE name = ?", (name,)).fetchone()
    return row is not None and bool(row[0])


class SourceRepository:
    """The unit-of-work functions above, each run as its own read or write."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def sync_config(
        self,
        configs: Sequence[SourceConfig],
        *,
        default_interval: int,
        first_fetch_at: dict[str, datetime],
        now: datetime,
    ) -> SyncOutcome:
        """See :func:`sync_config`."""
        return await self._db.write(
            lambda connection: sync_config(
                connection,
                configs,
                default_interval=default_interval,
                first_fetch_at=first_fetch_at,
                now=now,
            )
        )

    async def configured(self) -> tuple[SourceState, ...]:
        """Every source in the sources file, enabled or not, by name."""
        return await self._db.read(configured)

    async def due(self, now: datetime) -> tuple[SourceState, ...]:
        """Enabled sources whose next fetch time has come, the most overdue first."""
        return await self._db.read(lambda connection: due(connection, now))

    async def get(self, name: str) -> SourceState | None:
        return await self._db.read(lambda connection: get(connection, name))

    async def record_success(self, source_id: int, success: FetchSuccess) -> None:
        await self._db.write(lambda connection: record_success(connection, source_id, success))

    async def record_failure(self, source_id: int, failure: FetchFailure) -> None:
        await self._db.write(lambda connection: record_failure(connection, source_id, failure))

    async def enable(self, name: str, *, now: datetime) -> SourceState | None:
        """See :func:`enable`."""
        return await self._db.write(lambda connection: enable(connection, name, now))
