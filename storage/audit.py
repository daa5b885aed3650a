"""The audit log: who did what, when, with the state before and after.

Unit-of-work functions (plain ``sqlite3``, run by :meth:`storage.database.Database.write`):
call :func:`record_audit` INSIDE the same write as the change it records, so an action and
its audit row are committed together or not at all::

    def work(conn: sqlite3.Connection) -> None:
        before = ...  # read the row
        ...           # change it
        record_audit(conn, actor_id=user_id, action="source.pause", subject=f"source:{id}",
                     before=before, after=after, now=now)
    await database.write(work)

``before`` and ``after`` are anything :func:`json.dumps` takes (dicts of plain values; a
``datetime`` is written as its ISO text); ``None`` means "there was none".
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor_id: int
    action: str
    subject: str
    before: Any
    after: Any
    at: datetime


def _json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")


def record_audit(
    conn: sqlite3.Connection,
    *,
    actor_id: int,
    action: str,
    subject: str,
    before: object,
    after: object,
    now: datetime,
) -> int:
    """Append one entry; returns its id. Call it inside the write that makes the change."""
    cursor = conn.execute(
        "INSERT INTO audit_log (actor_id, action, subject, before, after, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (actor_id, action, subject, _json(before), _json(after), to_db(now)),
    )
    return int(cursor.lastrowid or 0)


def recent_audit(
    conn: sqlite3.Connection, *, limit: int = 50, subject: str | None = None
) -> list[AuditEntry]:
    """The newest entries first (optionally only those about ``subject``)."""
    if subject is None:
        rows = conn.execute(
            "SELECT id, actor_id, action, subject, before, after, at FROM audit_log"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT id, actor_id, action, subject, before, after, at FROM audit_log"
            " WHERE subject = ? ORDER BY id DESC LIMIT ?",
            (subject, limit),
        ).fetchall()
    return [
        AuditEntry(
            id=row[0],
            actor_id=row[1],
            action=row[2],
            subject=row[3],
            before=None if row[4] is None else json.loads(row[4]),
            after=None if row[5] is None else json.loads(row[5]),
            at=from_db(row[6]),
        )
        for row in rows
    ]
