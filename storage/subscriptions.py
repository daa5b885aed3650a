"""Subscriptions (per chat and forum topic) and their rules."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import aiosqlite

from bot.models import DeliveryMode, Rule, Subscription
from storage.database import Database
from storage.timestamps import from_db, to_db

RulePart = Literal["regions", "sections", "topics"]
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


def _row_to_subscription(row: aiosqlite.Row) -> Subscription:
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


class SubscriptionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, chat_id: int, thread_id: int) -> Subscription | None:
        """The subscription with its rules, in one query."""
        async with self._db.connection.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS}, {_RULES_JSON} FROM subscriptions s"
            " WHERE chat_id = ? AND thread_id = ?",
            (chat_id, thread_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _row_to_subscription(row)

    async def for_chat(self, chat_id: int) -> tuple[Subscription, ...]:
        async with self._db.connection.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS}, {_RULES_JSON} FROM subscriptions s"
            " WHERE chat_id = ? ORDER BY thread_id",
            (chat_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return tuple(_row_to_subscription(row) for row in rows)

    async def ensure(
        self, chat_id: int, thread_id: int, *, now: datetime, timezone: str | None = None
    ) -> Subscription:
        """The chat's subscription, created (with one empty rule being edited) if missing."""
        existing = await self.get(chat_id, thread_id)
        if existing is not None:
            return existing
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO subscriptions (chat_id, thread_id, timezone, since, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id, thread_id) DO NOTHING",
                (chat_id, thread_id, timezone, to_db(now), to_db(now), to_db(now)),
            )
            if cursor.rowcount:
                subscription_id = cursor.lastrowid
                rule = await connection.execute(
                    "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?)",
                    (subscription_id, to_db(now)),
                )
                await connection.execute(
                    "UPDATE subscriptions SET current_rule_id = ? WHERE id = ?",
                    (rule.lastrowid, subscription_id),
                )
        created = await self.get(chat_id, thread_id)
        if created is None:
            raise RuntimeError(f"subscription of chat {chat_id} vanished right after it was saved")
        return created

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
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?)",
                (subscription_id, to_db(now)),
            )
            rule_id = cursor.lastrowid
            if rule_id is None:
                raise RuntimeError("SQLite returned no row id for a new rule")
            parts: tuple[tuple[RulePart, Iterable[str]], ...] = (
                ("regions", regions),
                ("sections", sections),
                ("topics", topics),
            )
            for part, values in parts:
                table, column = _PART_TABLES[part]
                await connection.executemany(
                    f"INSERT OR IGNORE INTO {table} (rule_id, {column}) VALUES (?, ?)",
                    [(rule_id, value) for value in values],
                )
            await connection.execute(
                "UPDATE subscriptions SET current_rule_id = ?, updated_at = ? WHERE id = ?",
                (rule_id, to_db(now), subscription_id),
            )
        return rule_id

    async def set_membership(
        self, rule_id: int, part: RulePart, value: str, *, selected: bool, now: datetime
    ) -> bool:
        """Put ``value`` into (or take it out of) one part of a rule. True if anything changed."""
        table, column = _PART_TABLES[part]
        async with self._db.transaction() as connection:
            if selected:
                cursor = await connection.execute(
                    f"INSERT OR IGNORE INTO {table} (rule_id, {column}) VALUES (?, ?)",
                    (rule_id, value),
                )
            else:
                cursor = await connection.execute(
                    f"DELETE FROM {table} WHERE rule_id = ? AND {column} = ?", (rule_id, value)
                )
            changed = cursor.rowcount > 0
            if changed:
                await self._touch_rule(connection, rule_id, now)
            return changed

    async def clear_part(self, rule_id: int, part: RulePart, *, now: datetime) -> bool:
        """Make one part of a rule "any". True if anything changed."""
        table, _column = _PART_TABLES[part]
        async with self._db.transaction() as connection:
            cursor = await connection.execute(f"DELETE FROM {table} WHERE rule_id = ?", (rule_id,))
            changed = cursor.rowcount > 0
            if changed:
                await self._touch_rule(connection, rule_id, now)
            return changed

    @staticmethod
    async def _touch_rule(connection: aiosqlite.Connection, rule_id: int, now: datetime) -> None:
        await connection.execute(
            "UPDATE subscriptions SET updated_at = ? WHERE id ="
            " (SELECT subscription_id FROM subscription_rules WHERE id = ?)",
            (to_db(now), rule_id),
        )

    async def delete_rule(self, subscription_id: int, rule_id: int, *, now: datetime) -> bool:
        """Remove a rule of this subscription; the newest remaining one becomes current."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM subscription_rules WHERE id = ? AND subscription_id = ?",
                (rule_id, subscription_id),
            )
            if not cursor.rowcount:
                return False
            await connection.execute(
                "UPDATE subscriptions SET updated_at = ?, current_rule_id = (SELECT MAX(id)"
                " FROM subscription_rules WHERE subscription_id = ?) WHERE id = ?",
                (to_db(now), subscription_id, subscription_id),
            )
            return True

    async def set_current_rule(self, subscription_id: int, rule_id: int) -> bool:
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE subscriptions SET current_rule_id = ? WHERE id = ? AND EXISTS"
                " (SELECT 1 FROM subscription_rules WHERE id = ? AND subscription_id = ?)",
                (rule_id, subscription_id, rule_id, subscription_id),
            )
            return cursor.rowcount > 0

    async def update_settings(
        self, subscription_id: int, *, now: datetime, **settings: str | int | None
    ) -> None:
        unknown = set(settings) - SETTING_COLUMNS
        if unknown:
            raise ValueError(f"not subscription settings: {sorted(unknown)}")
        if not settings:
            return
        assignments = ", ".join(f"{name} = ?" for name in settings)
        async with self._db.transaction() as connection:
            await connection.execute(
                f"UPDATE subscriptions SET {assignments}, updated_at = ? WHERE id = ?",
                (*settings.values(), to_db(now), subscription_id),
            )

    async def delete(self, chat_id: int, thread_id: int) -> bool:
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND thread_id = ?",
                (chat_id, thread_id),
            )
            return cursor.rowcount > 0
