"""What the sender reads of a delivery beyond its :class:`OutboxItem` (units of work)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.timestamps import from_db


def first_attempt_at(connection: sqlite3.Connection, delivery_id: int) -> datetime | None:
    """When the delivery was first tried (None: never, or no such row)."""
    row = connection.execute(
        "SELECT first_attempt_at FROM deliveries WHERE id = ?", (delivery_id,)
    ).fetchone()
    return None if row is None or row[0] is None else from_db(row[0])
