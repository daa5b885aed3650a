"""Broadcasts: an admin's announcement and its deliveries in the outbox.

Unit-of-work functions (plain ``sqlite3``, run by :meth:`storage.database.Database.read` or
:meth:`~storage.database.Database.write`); compose them with :func:`storage.audit.record_audit`
inside one write. A broadcast's messages are ``deliveries`` rows of kind 'broadcast' with the
dedupe key ``broadcast:<id>`` (one per chat: the unique key makes a second impossible), so the
sender sends them, and they survive a restart, like every other message. While a broadcast is
'paused', :func:`storage.outbox.claim_due` skips its rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.delivery import Priority
from storage.timestamps import from_db, from_db_optional, to_db

DRAFT = "draft"
SENDING = "sending"
PAUSED = "paused"
CANCELLED = "cancelled"
DONE = "done"
DROPPED = "dropped"
LIVE = (SENDING, PAUSED)


def dedupe_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    id: int
    author_id: int
    body: str
    regions: tuple[str, ...]
    language: str
    state: str
    total: int
    progress_chat_id: int | None
    progress_message_id: int | None
    progress_text: str | None
    cancel_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryTally:
    """A broadcast's deliveries by state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def left(self) -> int:
        return self.pending + self.sending


_COLUMNS = (
    "id, author_id, body, regions, language, state, total, progress_chat_id,"
    " progress_message_id, progress_text, cancel_reason, created_at, started_at, finished_at"
)

_AUDIENCE = """
SELECT s.chat_id, MIN(s.thread_id)
FROM subscriptions s
JOIN chats c ON c.id = s.chat_id AND c.active = 1 AND c.kind <> 'channel'
WHERE s.paused = 0
  AND (:everyone OR EXISTS (
        SELECT 1 FROM subscription_rules r JOIN rule_regions rr ON rr.rule_id = r.id
        WHERE r.subscription_id = s.id
          AND rr.region_code IN (SELECT value FROM json_each(:regions))))
GROUP BY s.chat_id
"""
"""Who a broadcast reaches: every active chat that is not a channel and has an unpaused
subscription; with regions, only those whose rules name one of them. One row per chat (its
lowest forum topic with such a subscription)."""


def _row(v: Any) -> BroadcastRow:
    return BroadcastRow(
        id=v[0],
        author_id=v[1],
        body=v[2],
        regions=tuple(json.loads(v[3])),
        language=v[4],
        state=v[5],
        total=v[6],
        progress_chat_id=v[7],
        progress_message_id=v[8],
        progress_text=v[9],
        cancel_reason=v[10],
        created_at=from_db(v[11]),
        started_at=from_db_optional(v[12]),
        finished_at=from_db_optional(v[13]),
    )


def _audience_params(regions: Sequence[str]) -> dict[str, object]:
    return {"everyone": not regions, "regions": json.dumps(list(regions))}


def audience_size(conn: sqlite3.Connection, regions: Sequence[str]) -> int:
    """How many chats a broadcast to ``regions`` (none: everyone) would reach now."""
    row = conn.execute(f"SELECT COUNT(*) FROM ({_AUDIENCE})", _audience_params(regions)).fetchone()
    return int(row[0])


def regions_by_readers(conn: sqlite3.Connection, limit: int) -> list[str]:
    """The region codes most readers (of :func:`audience_size`) chose, most first."""
    rows = conn.execute(
        "SELECT rr.region_code FROM rule_regions rr"
        " JOIN subscription_rules r ON r.id = rr.rule_id"
        " JOIN subscriptions s ON s.id = r.subscription_id AND s.paused = 0"
        " JOIN chats c ON c.id = s.chat_id AND c.active = 1 AND c.kind <> 'channel'"
        " GROUP BY rr.region_code ORDER BY COUNT(DISTINCT s.chat_id) DESC, rr.region_code"
        " LIMIT ?",
        (limit,),
    )
    return [str(code) for (code,) in rows]


def create_draft(
    conn: sqlite3.Connection,
    *,
    author_id: int,
    body: str,
    regions: Sequence[str],
    language: str,
    now: datetime,
) -> int:
    """A broadcast waiting for its author's confirmation; its id."""
    cursor = conn.execute(
        "INSERT INTO broadcasts (author_id, body, regions, language, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (author_id, body, json.dumps(list(regions)), language, to_db(now)),
    )
    return int(cursor.lastrowid or 0)


def get(conn: sqlite3.Connection, broadcast_id: int) -> BroadcastRow | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
    ).fetchone()
    return None if row is None else _row(row)


def live(conn: sqlite3.Connection) -> list[BroadcastRow]:
    """Broadcasts sending or paused, oldest first (the progress job's work)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE state IN ('sending', 'paused') ORDER BY id"
    )
    return [_row(row) for row in rows]


def start(
    conn: sqlite3.Connection,
    broadcast_id: int,
    *,
    priority: Priority,
    progress_chat_id: int,
    progress_message_id: int,
    now: datetime,
) -> int | None:
    """Put a draft's deliveries into the outbox (one per chat of its audience, due now) and
    mark it 'sending'; the number enqueued. ``None``: it was no longer a draft (pressed twice,
    or dropped), nothing done."""
    row = get(conn, broadcast_id)
    if row is None or row.state != DRAFT:
        return None
    cursor = conn.execute(
        "INSERT OR IGNORE INTO deliveries"
        " (chat_id, thread_id, kind, dedupe_key, body, priority, due_at, created_at)"
        f" SELECT a.chat_id, a.thread_id, 'broadcast', :key, :body, :priority, :now, :now"
        f" FROM ({_AUDIENCE.replace('MIN(s.thread_id)', 'MIN(s.thread_id) AS thread_id')}) a",
        {
            **_audience_params(row.regions),
            "key": dedupe_key(broadcast_id),
            "body": row.body,
            "priority": int(priority),
            "now": to_db(now),
        },
    )
    total = cursor.rowcount
    conn.execute(
        "UPDATE broadcasts SET state = 'sending', total = ?, started_at = ?,"
        " progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (total, to_db(now), progress_chat_id, progress_message_id, broadcast_id),
    )
    return total


def set_state(conn: sqlite3.Connection, broadcast_id: int, *, old: str, new: str) -> bool:
    """Move a broadcast from ``old`` to ``new`` (pause, resume, drop a draft); whether it was in
    ``old``."""
    cursor = conn.execute(
        "UPDATE broadcasts SET state = ? WHERE id = ? AND state = ?", (new, broadcast_id, old)
    )
    return cursor.rowcount == 1


def cancel(
    conn: sqlite3.Connection, broadcast_id: int, *, reason: str, now: datetime
) -> int | None:
    """Cancel a live broadcast: its pending deliveries become 'cancelled' with ``reason`` (one
    already with Telegram finishes); the number cancelled, or ``None`` if it was not live."""
    cursor = conn.execute(
        "UPDATE broadcasts SET state = 'cancelled', cancel_reason = ?, finished_at = ?"
        " WHERE id = ? AND state IN ('sending', 'paused')",
        (reason, to_db(now), broadcast_id),
    )
    if cursor.rowcount != 1:
        return None
    return conn.execute(
        "UPDATE deliveries SET state = 'cancelled', error = ?"
        " WHERE kind = 'broadcast' AND dedupe_key = ? AND state = 'pending'",
        (reason, dedupe_key(broadcast_id)),
    ).rowcount


def tally(conn: sqlite3.Connection, broadcast_id: int) -> DeliveryTally:
    counts = dict(
        conn.execute(
            "SELECT state, COUNT(*) FROM deliveries"
            " WHERE kind = 'broadcast' AND dedupe_key = ? GROUP BY state",
            (dedupe_key(broadcast_id),),
        ).fetchall()
    )
    return DeliveryTally(**{state: int(count) for state, count in counts.items()})


def finish(conn: sqlite3.Connection, broadcast_id: int, *, now: datetime) -> bool:
    """A sending broadcast with nothing left pending or in flight becomes 'done'."""
    if tally(conn, broadcast_id).left:
        return False
    cursor = conn.execute(
        "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ? AND state = 'sending'",
        (to_db(now), broadcast_id),
    )
    return cursor.rowcount == 1


def set_progress_text(conn: sqlite3.Connection, broadcast_id: int, text: str) -> None:
    conn.execute("UPDATE broadcasts SET progress_text = ? WHERE id = ?", (text, broadcast_id))
