"""The desk's source management: unit-of-work functions (run by :class:`Database.read` and
:class:`Database.write`), each change audited in the same write.

Sources added in the bot have ``origin = 'bot'`` and ``in_config = 1``: the sources file sync
(:func:`storage.sources.sync_config`) leaves them alone. A pause by an admin
(``paused_at``/``paused_by``) is kept apart from a disable by errors (``disabled_reason``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import SourceConfig, SourceOrigin, SourceState
from storage.audit import record_audit
from storage.sources import SOURCE_COLUMNS, row_to_source_state, selectors_to_json
from storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class SourceOverview:
    """A source as the desk lists it."""

    source: SourceState
    in_use: bool
    """In the sources file or added in the bot (False: dropped from the file, kept for its
    articles until removed)."""
    recent_articles: int
    """Articles first stored from it since the ``since`` of :func:`overview`."""


class Clash(StrEnum):
    NAME = "name"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class SourceClash:
    """A new source's name or address is taken by ``existing``."""

    clash: Clash
    existing: str


def subject(source_id: int) -> str:
    """How a source is named in the audit log."""
    return f"source:{source_id}"


def snapshot(state: SourceState | None) -> dict[str, object] | None:
    """What the audit log keeps of a source."""
    if state is None:
        return None
    return {
        "name": state.name,
        "url": state.configured_url,
        "kind": state.kind.value,
        "region": state.region,
        "section": state.section,
        "origin": state.origin.value,
        "paused": state.paused,
        "disabled_reason": state.disabled_reason,
        "html": None if state.html is None else dataclasses.asdict(state.html),
    }


def overview(connection: sqlite3.Connection, *, since: datetime) -> tuple[SourceOverview, ...]:
    """Unit of work: every stored source by name, with its articles since ``since``."""
    rows = connection.execute(
        f"SELECT {SOURCE_COLUMNS}, in_config,"
        " (SELECT count(*) FROM articles WHERE articles.source_id = sources.id"
        "  AND articles.fetched_at >= ?) AS recent"
        " FROM sources ORDER BY name",
        (to_db(since),),
    )
    return tuple(
        SourceOverview(row_to_source_state(row), bool(row["in_config"]), int(row["recent"]))
        for row in rows
    )


def by_id(connection: sqlite3.Connection, source_id: int) -> SourceState | None:
    """Unit of work: one source by id."""
    row = connection.execute(f"SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,))
    found = row.fetchone()
    return None if found is None else row_to_source_state(found)


def clash(connection: sqlite3.Connection, name: str, url: str) -> SourceClash | None:
    """Unit of work: which stored source already has this name (any case) or address."""
    row = connection.execute(
        "SELECT name FROM sources WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    if row is not None:
        return SourceClash(Clash.NAME, str(row[0]))
    row = connection.execute(
        "SELECT name FROM sources WHERE configured_url = ? OR url = ?", (url, url)
    ).fetchone()
    if row is not None:
        return SourceClash(Clash.ADDRESS, str(row[0]))
    return None


def add(
    connection: sqlite3.Connection,
    config: SourceConfig,
    *,
    actor_id: int,
    default_interval: int,
    first_fetch_at: datetime,
    now: datetime,
) -> SourceState | SourceClash:
    """Unit of work: store a source added in the bot (audited), unless its name or address
    is taken."""
    taken = clash(connection, config.name, config.url)
    if taken is not None:
        return taken
    stamp = to_db(now)
    cursor = connection.execute(
        "INSERT INTO sources (name, configured_url, url, kind, region_code, section_slug,"
        " topics, interval_seconds, timezone, html_selectors, next_fetch_at, created_at,"
        " updated_at, origin, added_by, in_config)"
        " VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, 1)",
        (
            config.name,
            config.url,
            config.kind.value,
            config.region,
            config.section,
            json.dumps(config.topics),
            config.interval_seconds or default_interval,
            config.timezone,
            selectors_to_json(config.html),
            to_db(first_fetch_at),
            stamp,
            SourceOrigin.BOT.value,
            actor_id,
        ),
    )
    source_id = int(cursor.lastrowid or 0)
    added = by_id(connection, source_id)
    assert added is not None
    record_audit(
        connection,
        actor_id=actor_id,
        action="source.add",
        subject=subject(source_id),
        before=None,
        after=snapshot(added),
        now=now,
    )
    return added


def add_many(
    connection: sqlite3.Connection,
    configs: Sequence[tuple[SourceConfig, datetime]],
    *,
    actor_id: int,
    default_interval: int,
    now: datetime,
) -> list[SourceState | SourceClash]:
    """Unit of work: :func:`add` for each (config, first fetch time), in one transaction."""
    return [
        add(
            connection,
            config,
            actor_id=actor_id,
            default_interval=default_interval,
            first_fetch_at=first,
            now=now,
        )
        for config, first in configs
    ]


@dataclass(frozen=True, slots=True)
class Change:
    before: SourceState
    after: SourceState | None


def pause(
    connection: sqlite3.Connection, source_id: int, *, actor_id: int, now: datetime
) -> Change | None:
    """Unit of work: pause a source (kept if already paused); audited."""
    before = by_id(connection, source_id)
    if before is None:
        return None
    connection.execute(
        "UPDATE sources SET paused_at = COALESCE(paused_at, ?),"
        " paused_by = COALESCE(paused_by, ?), updated_at = ? WHERE id = ?",
        (to_db(now), actor_id, to_db(now), source_id),
    )
    return _audited(connection, before, "source.pause", actor_id, now)


def resume(
    connection: sqlite3.Connection, source_id: int, *, actor_id: int, now: datetime
) -> Change | None:
    """Unit of work: unpause a source and enable it if errors had disabled it, errors
    forgotten, due at once; audited."""
    before = by_id(connection, source_id)
    if before is None:
        return None
    connection.execute(
        "UPDATE sources SET paused_at = NULL, paused_by = NULL, disabled_reason = NULL,"
        " consecutive_errors = 0, last_error = NULL, next_fetch_at = ?, updated_at = ?"
        " WHERE id = ?",
        (to_db(now), to_db(now), source_id),
    )
    return _audited(connection, before, "source.resume", actor_id, now)


class RemoveRefused(StrEnum):
    IN_FILE = "in_file"


def remove(
    connection: sqlite3.Connection, source_id: int, *, actor_id: int, now: datetime
) -> Change | RemoveRefused | None:
    """Unit of work: delete a source added in the bot, or one the sources file no longer
    has; its articles stay (their ``source_id`` becomes NULL). A source of the sources file
    is refused: the sync would bring it back."""
    before = by_id(connection, source_id)
    if before is None:
        return None
    row = connection.execute("SELECT in_config FROM sources WHERE id = ?", (source_id,))
    in_config = bool(row.fetchone()[0])
    if before.origin is SourceOrigin.FILE and in_config:
        return RemoveRefused.IN_FILE
    connection.execute("DELETE FROM sources WHERE id = ?", (source_id,))
    return _audited(connection, before, "source.remove", actor_id, now)


def record_fetch_now(
    connection: sqlite3.Connection,
    source_id: int,
    *,
    actor_id: int,
    outcome: dict[str, object],
    now: datetime,
) -> None:
    """Unit of work: audit a «fetch now» and what it did."""
    record_audit(
        connection,
        actor_id=actor_id,
        action="source.fetch_now",
        subject=subject(source_id),
        before=None,
        after=outcome,
        now=now,
    )


def _audited(
    connection: sqlite3.Connection,
    before: SourceState,
    action: str,
    actor_id: int,
    now: datetime,
) -> Change:
    after = by_id(connection, before.id)
    record_audit(
        connection,
        actor_id=actor_id,
        action=action,
        subject=subject(before.id),
        before=snapshot(before),
        after=snapshot(after),
        now=now,
    )
    return Change(before, after)
