"""What the sender reads of a delivery beyond its :class:`OutboxItem` (units of work)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain.models import Article
from storage.articles import ARTICLE_COLUMNS, row_to_article
from storage.timestamps import from_db


def first_attempt_at(connection: sqlite3.Connection, delivery_id: int) -> datetime | None:
    """When the delivery was first tried (None: never, or no such row)."""
    row = connection.execute(
        "SELECT first_attempt_at FROM deliveries WHERE id = ?", (delivery_id,)
    ).fetchone()
    return None if row is None or row[0] is None else from_db(row[0])


def source_name(connection: sqlite3.Connection, source_id: int) -> str | None:
    """The name a source is shown by on cards (None: no such source)."""
    row = connection.execute("SELECT name FROM sources WHERE id = ?", (source_id,)).fetchone()
    return None if row is None else str(row[0])


def article_for_card(connection: sqlite3.Connection, article_id: int) -> Article | None:
    """One article with its regions and topics, as a card shows it (None: deleted)."""
    row = connection.execute(
        f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.id = ?", (article_id,)
    ).fetchone()
    return None if row is None else row_to_article(row)
