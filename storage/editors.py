"""Editors: people the owners let use the editorial desk (owners come from ``ADMIN_IDS``).

Unit-of-work functions of a ``sqlite3.Connection`` (see :mod:`storage.database`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class EditorRow:
    user_id: int
    added_by: int
    added_at: datetime
    name: str | None


def _row(row: sqlite3.Row | tuple[object, ...]) -> EditorRow:
    user_id, added_by, added_at, name = tuple(row)
    assert isinstance(user_id, int) and isinstance(added_by, int) and isinstance(added_at, str)
    return EditorRow(
        user_id=user_id,
        added_by=added_by,
        added_at=from_db(added_at),
        name=name if isinstance(name, str) else None,
    )


def list_editors(conn: sqlite3.Connection) -> list[EditorRow]:
    rows = conn.execute(
        "SELECT user_id, added_by, added_at, name FROM editors ORDER BY added_at, user_id"
    ).fetchall()
    return [_row(row) for row in rows]


def editor_ids(conn: sqlite3.Connection) -> frozenset[int]:
    return frozenset(row[0] for row in conn.execute("SELECT user_id FROM editors"))


def get_editor(conn: sqlite3.Connection, user_id: int) -> EditorRow | None:
    row = conn.execute(
        "SELECT user_id, added_by, added_at, name FROM editors WHERE user_id = ?", (user_id,)
    ).fetchone()
    return None if row is None else _row(row)


def insert_editor(
    conn: sqlite3.Connection, *, user_id: int, added_by: int, name: str | None, now: datetime
) -> bool:
    """Add an editor; False (and nothing changes) when they already are one."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO editors (user_id, added_by, added_at, name) VALUES (?, ?, ?, ?)",
        (user_id, added_by, to_db(now), name),
    )
    return cursor.rowcount > 0


def delete_editor(conn: sqlite3.Connection, user_id: int) -> bool:
    """Remove an editor; False when there was none."""
    return conn.execute("DELETE FROM editors WHERE user_id = ?", (user_id,)).rowcount > 0
