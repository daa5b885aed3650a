"""Subscriptions (per chat and forum topic) and their rules.

Each method is one unit of work on the database's thread (:meth:`Database.read` /
:meth:`Database.write`): a button press that edits a rule is one hop, not one per statement.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.domain.models import Chat, ChatKind, DeliveryMode, Rule, RulePart, Subscription
from storage.chats import upsert_chat
from storage.database import Database
from storage.timestamps import from_db, to_db

_PART_TABLES: dict[RulePart, tuple[str, str]] = {
    "regions": ("rule_regions", "region_code"),
    "sections": ("rule_sections", "section_slug"),
    "topics": ("rule_topics", "topic_slug"),
}
SETTING_COLUMNS = frozenset(
    {"mode", "digest_time", "digest_weekday", "timezone", "quiet_start", "quiet_end", "paused"}
)
_SUBSCRIPTION_COLUMNS = (
    "id, chat_id, thread_id, mode, digest_time, digest_weekday, timezone, quiet_start,"
    " quiet_end, paused, current_rule_id, since"
)
# Every rule of subscription ``s`` as a JSON array of [id, regions, sections, topics].
_RULES_JSON = (
    "(SELECT json_group_array(json_array(r.id,"
    "  (SELECT group_concat(region_code, ' ') FROM rule_regions WHERE rule_id = r.id),"
    "  (SELECT group_concat(section_slug, ' ') FROM rule_sections WHERE rule_id = r.id),"
    "  (SELECT group_concat(topic_slug, ' ') FROM rule_topics WHERE rule_id = r.id)))"
    " FROM (SELECT id FROM subscription_rules WHERE subscription_id = s.id ORDER BY id) r)"
    " AS rules"
)


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(sorted((text or "").split()))


def _row_to_subscription(row: sqlite3.Row) -> Subscription:
    rules = tuple(
        Rule(id=rule_id, regions=_words(regions), sections=_words(sections), topics=_words(topics))
        for rule_id, regions, sections, topics in json.loads(row["rules"])
    )
    return Subscription(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        mode=DeliveryMode(row["mode"]),
        digest_time=row["digest_time"],
        digest_weekday=row["digest_weekday"],
        timezone=row["timezone"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        paused=bool(row["paused"]),
        current_rule_id=row["current_rule_id"],
        since=from_db(row["since"]),
        rules=rules,
    )


def select_subscription(
    connection: sqlite3.Connection, chat_id: int, thread_id: int
) -> Subscription | None:
    """The subscription with its rules, in one query."""
    row = connection.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS}, {_RULES_JSON} FROM subscriptions s"
        " WHERE chat_id = ? AND thread_id = ?",
        (chat_id, thread_id),
    ).fetchone()
    return None if row is None else _row_to_subscription(row)


def _require(connection: sqlite3.Connection, chat_id: int, thread_id: int) -> Subscription:
    subscription = select_subscription(connection, chat_id, thread_id)
    if subscription is None:
        raise RuntimeError(f"subscription of chat {chat_id} vanished inside its transaction")
    return subscription


def ensure_subscription(
    connection: sqlite3.Connection,
    chat_id: int,
    thread_id: int,
    now: datetime,
    timezone: str | None = None,
) -> Subscription:
    existing = select_subscription(connection, chat_id, thread_id)
    if existing is not None:
        return existing
    subscription_id = connection.execute(
        "INSERT INTO subscriptions (chat_id, thread_id, timezone, since, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (chat_id, thread_id, timezone, to_db(now), to_db(now), to_db(now)),
    ).fetchone()[0]
    _insert_rule(connection, subscription_id, now)
    return _require(connection, chat_id, thread_id)


def _insert_rule(
    connection: sqlite3.Connection,
    subscription_id: int,
    now: datetime,
    parts: Iterable[tuple[RulePart, Iterable[str]]] = (),
) -> int:
    """A new rule of the subscription, which becomes the one being edited."""
    rule_id: int = connection.execute(
        "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?) RETURNING id",
        (subscription_id, to_db(now)),
    ).fetchone()[0]
    for part, values in parts:
        table, column = _PART_TABLES[part]
        connection.executemany(
            f"INSERT OR IGNORE INTO {table} (rule_id, {column}) VALUES (?, ?)",
            [(rule_id, value) for value in values],
        )
    connection.execute(
        "UPDATE subscriptions SET current_rule_id = ?, updated_at = ? WHERE id = ?",
        (rule_id, to_db(now), subscription_id),
    )
    return rule_id


def _set_membership(
    connection: sqlite3.Connection, rule_id: int, part: RulePart, value: str, selected: bool
) -> bool:
    table, column = _PART_TABLES[part]
    if selected:
        cursor = connection.execute(
            f"INSERT OR IGNORE INTO {table} (rule_id, {column}) VALUES (?, ?)", (rule_id, value)
        )
    else:
        cursor = connection.execute(
            f"DELETE FROM {table} WHERE rule_id = ? AND {column} = ?", (rule_id, value)
        )
    return cursor.rowcount > 0


def _clear_part(connection: sqlite3.Connection, rule_id: int, part: RulePart) -> bool:
    table, _column = _PART_TABLES[part]
    return connection.execute(f"DELETE FROM {table} WHERE rule_id = ?", (rule_id,)).rowcount > 0


def _touch_rule(connection: sqlite3.Connection, rule_id: int, now: datetime) -> None:
    connection.execute(
        "UPDATE subscriptions SET updated_at = ? WHERE id ="
        " (SELECT subscription_id FROM subscription_rules WHERE id = ?)",
        (to_db(now), rule_id),
    )


def _update_settings(
    connection: sqlite3.Connection,
    subscription_id: int,
    now: datetime,
    settings: dict[str, str | int | None],
) -> None:
    unknown = set(settings) - SETTING_COLUMNS
    if unknown:
        raise ValueError(f"not subscription settings: {sorted(unknown)}")
    if not settings:
        return
    assignments = ", ".join(f"{name} = ?" for name in settings)
    connection.execute(
        f"UPDATE subscriptions SET {assignments}, updated_at = ? WHERE id = ?",
        (*settings.values(), to_db(now), subscription_id),
    )


class SubscriptionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, chat_id: int, thread_id: int) -> Subscription | None:
        """The subscription with its rules, in one query."""
        return await self._db.read(
            lambda connection: select_subscription(connection, chat_id, thread_id)
        )

    async def for_chat(self, chat_id: int) -> tuple[Subscription, ...]:
        def for_chat(connection: sqlite3.Connection) -> tuple[Subscription, ...]:
            rows = connection.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS}, {_RULES_JSON} FROM subscriptions s"
                " WHERE chat_id = ? ORDER BY thread_id",
                (chat_id,),
            ).fetchall()
            return tuple(_row_to_subscription(row) for row in rows)

        return await self._db.read(for_chat)

    async def ensure(
        self, chat_id: int, thread_id: int, *, now: datetime, timezone: str | None = None
    ) -> Subscription:
        """The chat's subscription, created (with one empty rule being edited) if missing:
        one write unit either way (callers read through a cache first)."""
        return await self._db.write(
            lambda connection: ensure_subscription(connection, chat_id, thread_id, now, timezone)
        )

    async def ensure_for_chat(
        self,
        chat_id: int,
        thread_id: int,
        *,
        kind: ChatKind,
        title: str,
        language: str | None,
        now: datetime,
    ) -> tuple[Chat, Subscription]:
        """The chat registered (see :func:`storage.chats.upsert_chat`) and its subscription
        ensured, in one unit: what a reader's first /start needs."""

        def ensure_for_chat(connection: sqlite3.Connection) -> tuple[Chat, Subscription]:
            chat = upsert_chat(
                connection, chat_id, kind=kind, title=title, language=language, now=now
            )
            return chat, ensure_subscription(connection, chat_id, thread_id, now)

        return await self._db.write(ensure_for_chat)

    async def change_current_rule(
        self,
        chat_id: int,
        thread_id: int,
        part: RulePart,
        *,
        value: str | None,
        selected: bool,
        zone_if_unset: str | None,
        now: datetime,
    ) -> Subscription:
        """Select or unselect ``value`` in one part of the rule being edited, or with
        ``value`` None make the part "any"; the subscription (and a rule to edit) is created
        if missing, and its time zone set to ``zone_if_unset`` if it has none. One unit."""

        def change(connection: sqlite3.Connection) -> Subscription:
            subscription = ensure_subscription(connection, chat_id, thread_id, now)
            rule_id = subscription.current_rule_id
            if rule_id is None:
                rule_id = _insert_rule(connection, subscription.id, now)
            if value is None:
                changed = _clear_part(connection, rule_id, part)
            else:
                changed = _set_membership(connection, rule_id, part, value, selected)
            if changed:
                _touch_rule(connection, rule_id, now)
            if zone_if_unset is not None and subscription.timezone is None:
                _update_settings(connection, subscription.id, now, {"timezone": zone_if_unset})
            return _require(connection, chat_id, thread_id)

        return await self._db.write(change)

    async def add_rule(
        self,
        subscription_id: int,
        *,
        regions: Iterable[str] = (),
        sections: Iterable[str] = (),
        topics: Iterable[str] = (),
        now: datetime,
    ) -> int:
        """A new rule, which becomes the one being edited."""
        parts: tuple[tuple[RulePart, Iterable[str]], ...] = (
            ("regions", tuple(regions)),
            ("sections", tuple(sections)),
            ("topics", tuple(topics)),
        )
        return await self._db.write(
            lambda connection: _insert_rule(connection, subscription_id, now, parts)
        )

    async def delete_rule(self, subscription_id: int, rule_id: int, *, now: datetime) -> bool:
        """Remove a rule of this subscription; the newest remaining one becomes current."""

        def delete_rule(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM subscription_rules WHERE id = ? AND subscription_id = ?",
                (rule_id, subscription_id),
            )
            if not cursor.rowcount:
                return False
            connection.execute(
                "UPDATE subscriptions SET updated_at = ?, current_rule_id = (SELECT MAX(id)"
                " FROM subscription_rules WHERE subscription_id = ?) WHERE id = ?",
                (to_db(now), subscription_id, subscription_id),
            )
            return True

        return await self._db.write(delete_rule)

    async def set_current_rule(self, subscription_id: int, rule_id: int) -> bool:
        def set_current_rule(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE subscriptions SET current_rule_id = ? WHERE id = ? AND EXISTS"
                " (SELECT 1 FROM subscription_rules WHERE id = ? AND subscription_id = ?)",
                (rule_id, subscription_id, rule_id, subscription_id),
            )
            return cursor.rowcount > 0

        return await self._db.write(set_current_rule)

    async def update_settings(
        self, subscription_id: int, *, now: datetime, **settings: str | int | None
    ) -> None:
        """Change settings (``SETTING_COLUMNS``); a name that is not one raises ValueError
        and changes nothing."""
        if settings:
            await self._db.write(
                lambda connection: _update_settings(connection, subscription_id, now, settings)
            )

    async def delete(self, chat_id: int, thread_id: int) -> bool:
        def delete(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
                (chat_id, thread_id),
            )
            return cursor.rowcount > 0

        return await self._db.write(delete)
