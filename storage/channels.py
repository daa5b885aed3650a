"""Linked channels: ``channel_settings`` beside the channel's ``chats`` row and its
``subscriptions`` row (rules and time zone, the same model as any chat). A forum supergroup
linked as an auto-post target is a ``chats`` row of kind ``supergroup`` with the same
settings; its ``channel_settings.thread_id`` is the topic it is posted to.

Every function is a unit of work: plain ``sqlite3`` calls on one connection, run by
:meth:`Database.read` / :meth:`Database.write` (the latter in one ``BEGIN IMMEDIATE`` …
``COMMIT``), so several compose into one write (pausing a channel cancels its pending
deliveries and tells the admins in the same transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime

from bot.domain.channels import Channel, ChannelMode
from bot.domain.models import ChatKind
from storage.chats import upsert_chat
from storage.subscriptions import ensure_subscription, select_subscription
from storage.timestamps import from_db, from_db_optional, to_db

CHANNEL_THREAD = 0  # a channel's subscription is its whole chat
_COLUMNS = (
    "cs.chat_id, c.title, cs.username, cs.mode, cs.slots, cs.min_gap_seconds, cs.thread_id,"
    " cs.signature, cs.paused, cs.paused_reason, cs.linked_by, cs.linked_at, cs.last_post_at,"
    " c.kind"
)
_FROM = "FROM channel_settings cs JOIN chats c ON c.id = cs.chat_id"


def _channel(connection: sqlite3.Connection, row: sqlite3.Row) -> Channel:
    subscription = select_subscription(connection, row["chat_id"], CHANNEL_THREAD)
    return Channel(
        chat_id=row["chat_id"],
        title=row["title"],
        username=row["username"],
        mode=ChannelMode(row["mode"]),
        slots=tuple(slot for slot in row["slots"].split(",") if slot),
        min_gap_seconds=row["min_gap_seconds"],
        thread_id=row["thread_id"],
        signature=row["signature"],
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
        linked_by=row["linked_by"],
        linked_at=from_db(row["linked_at"]),
        last_post_at=from_db_optional(row["last_post_at"]),
        timezone=subscription.timezone if subscription else None,
        rules=subscription.rules if subscription else (),
        forum=row["kind"] == ChatKind.SUPERGROUP.value,
    )


def select_channel(connection: sqlite3.Connection, chat_id: int) -> Channel | None:
    row = connection.execute(f"SELECT {_COLUMNS} {_FROM} WHERE cs.chat_id = ?", (chat_id,))
    found = row.fetchone()
    return None if found is None else _channel(connection, found)


def find_channel(connection: sqlite3.Connection, handle: str) -> Channel | None:
    """A linked channel by ``@username`` (any case, '@' optional) or by its chat id."""
    handle = handle.strip()
    if handle.lstrip("-").isdigit():
        return select_channel(connection, int(handle))
    row = connection.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE lower(cs.username) = lower(?)", (handle.lstrip("@"),)
    ).fetchone()
    return None if row is None else _channel(connection, row)


def list_channels(connection: sqlite3.Connection) -> list[Channel]:
    rows = connection.execute(f"SELECT {_COLUMNS} {_FROM} ORDER BY lower(c.title), cs.chat_id")
    return [_channel(connection, row) for row in rows.fetchall()]


def link_channel(
    connection: sqlite3.Connection,
    chat_id: int,
    *,
    title: str,
    username: str | None,
    linked_by: int,
    now: datetime,
    kind: ChatKind = ChatKind.CHANNEL,
) -> Channel:
    """Register the channel (``kind``: ``supergroup`` for a forum group), its subscription
    (one empty rule: everything, until rules are set; nothing from before ``now``) and its
    settings. Linking a linked channel again refreshes its title and username and resumes it
    if paused; its settings stay."""
    upsert_chat(connection, chat_id, kind=kind, title=title, language=None, now=now)
    if username is not None:  # the name moved here from a channel linked earlier
        connection.execute(
            "UPDATE channel_settings SET username = NULL"
            " WHERE lower(username) = lower(?) AND chat_id != ?",
            (username, chat_id),
        )
    connection.execute(
        "INSERT INTO channel_settings (chat_id, username, linked_by, linked_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " username = excluded.username, paused = 0, paused_reason = NULL",
        (chat_id, username, linked_by, to_db(now)),
    )
    subscription = ensure_subscription(connection, chat_id, CHANNEL_THREAD, now)
    if subscription.paused:
        connection.execute(
            "UPDATE subscriptions SET paused = 0, updated_at = ? WHERE id = ?",
            (to_db(now), subscription.id),
        )
    channel = select_channel(connection, chat_id)
    assert channel is not None
    return channel


def set_channel_mode(
    connection: sqlite3.Connection,
    chat_id: int,
    *,
    mode: ChannelMode,
    slots: Sequence[str],
    min_gap_seconds: int,
    timezone: str | None,
    now: datetime,
) -> Channel | None:
    """Instant or batched at ``slots``, the minimum gap, and (if given) the time zone."""
    cursor = connection.execute(
        "UPDATE channel_settings SET mode = ?, slots = ?, min_gap_seconds = ? WHERE chat_id = ?",
        (
            mode.value,
            ",".join(slots) if mode is ChannelMode.BATCHED else "",
            min_gap_seconds,
            chat_id,
        ),
    )
    if cursor.rowcount == 0:
        return None
    if timezone is not None:
        connection.execute(
            "UPDATE subscriptions SET timezone = ?, updated_at = ?"
            " WHERE chat_id = ? AND thread_id = ?",
            (timezone, to_db(now), chat_id, CHANNEL_THREAD),
        )
    return select_channel(connection, chat_id)


def set_channel_rule(
    connection: sqlite3.Connection,
    chat_id: int,
    *,
    regions: Collection[str],
    sections: Collection[str],
    topics: Collection[str],
    timezone_if_unset: str | None,
    now: datetime,
) -> Channel | None:
    """The channel's rules become this one rule (all empty: everything)."""
    subscription = select_subscription(connection, chat_id, CHANNEL_THREAD)
    if subscription is None or select_channel(connection, chat_id) is None:
        return None
    connection.execute(
        "DELETE FROM subscription_rules WHERE subscription_id = ?", (subscription.id,)
    )
    rule_id = connection.execute(
        "INSERT INTO subscription_rules (subscription_id, created_at) VALUES (?, ?) RETURNING id",
        (subscription.id, to_db(now)),
    ).fetchone()[0]
    for table, column, values in (
        ("rule_regions", "region_code", regions),
        ("rule_sections", "section_slug", sections),
        ("rule_topics", "topic_slug", topics),
    ):
        connection.executemany(
            f"INSERT OR IGNORE INTO {table} (rule_id, {column}) VALUES (?, ?)",
            [(rule_id, value) for value in values],
        )
    connection.execute(
        "UPDATE subscriptions SET current_rule_id = ?, timezone = COALESCE(timezone, ?),"
        " updated_at = ? WHERE id = ?",
        (rule_id, timezone_if_unset, to_db(now), subscription.id),
    )
    return select_channel(connection, chat_id)


def set_channel_signature(
    connection: sqlite3.Connection, chat_id: int, signature: str | None
) -> Channel | None:
    cursor = connection.execute(
        "UPDATE channel_settings SET signature = ? WHERE chat_id = ?", (signature, chat_id)
    )
    return select_channel(connection, chat_id) if cursor.rowcount else None


def set_channel_thread(
    connection: sqlite3.Connection, chat_id: int, thread_id: int | None
) -> Channel | None:
    """The forum topic the target's posts go to (``None``: none, the General topic)."""
    cursor = connection.execute(
        "UPDATE channel_settings SET thread_id = ? WHERE chat_id = ?", (thread_id or 0, chat_id)
    )
    return select_channel(connection, chat_id) if cursor.rowcount else None


def pause_channel(
    connection: sqlite3.Connection, chat_id: int, *, reason: str, now: datetime
) -> bool:
    """Pause posting (the channel's subscription too, so nothing more is planned for it).
    False if the channel is not linked or was paused already."""
    cursor = connection.execute(
        "UPDATE channel_settings SET paused = 1, paused_reason = ?"
        " WHERE chat_id = ? AND paused = 0",
        (reason, chat_id),
    )
    if cursor.rowcount == 0:
        return False
    connection.execute(
        "UPDATE subscriptions SET paused = 1, updated_at = ? WHERE chat_id = ? AND thread_id = ?",
        (to_db(now), chat_id, CHANNEL_THREAD),
    )
    return True


def record_channel_post(connection: sqlite3.Connection, chat_id: int, *, at: datetime) -> None:
    """The channel got a post at ``at``: the minimum gap counts from here."""
    connection.execute(
        "UPDATE channel_settings SET last_post_at = ?"
        " WHERE chat_id = ? AND (last_post_at IS NULL OR last_post_at < ?)",
        (to_db(at), chat_id, to_db(at)),
    )


def active_chat_languages(
    connection: sqlite3.Connection, chat_ids: Collection[int]
) -> dict[int, str | None]:
    """The language of each of ``chat_ids`` the bot knows as an active private chat (the
    admins it can tell things)."""
    if not chat_ids:
        return {}
    marks = ",".join("?" * len(chat_ids))
    rows = connection.execute(
        f"SELECT id, language FROM chats WHERE id IN ({marks}) AND active = 1"
        " AND kind = 'private'",
        tuple(chat_ids),
    )
    return {row["id"]: row["language"] for row in rows.fetchall()}
