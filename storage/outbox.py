"""The outbox (``deliveries``): planning, claiming and settling messages to chats.

Every function is a unit of work: a plain synchronous function of a ``sqlite3.Connection``,
run by :meth:`storage.database.Database.read` / :meth:`~storage.database.Database.write`, and
composable inside one write (the ingest stores an article and plans its deliveries in one
transaction). The unique key (chat, thread, dedupe key) makes a second delivery of a story,
digest part or broadcast to the same chat impossible.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from bot.domain.delivery import (
    DeliveryKind,
    DeliveryState,
    OutboxItem,
    PlannedDelivery,
    Priority,
    QuietRule,
    SlotRule,
)
from storage.timestamps import from_db, from_db_optional, to_db, utc_now

NEWS_MAX_AGE = timedelta(days=3)
"""An article published longer ago than this is not news: it is stored (``/latest``,
digests) but pushed to nobody, whichever way it arrived late (a feed that re-dates or
re-lists its archive, an address change that makes old items look new)."""

_PLAN = """
WITH article AS (
    SELECT id, story_id, published_at, section_slug FROM articles
    WHERE id = :article AND published_at >= :fresh_since
),
unmatched_rules (rule_id) AS (
    SELECT rule_id FROM rule_regions GROUP BY rule_id HAVING MAX(region_code IN
        (SELECT region_code FROM article_regions WHERE article_id = :article)) = 0
    UNION ALL
    SELECT rule_id FROM rule_sections GROUP BY rule_id HAVING MAX(section_slug =
        (SELECT section_slug FROM article)) = 0
    UNION ALL
    SELECT rule_id FROM rule_topics GROUP BY rule_id HAVING MAX(topic_slug IN
        (SELECT topic_slug FROM article_topics WHERE article_id = :article)) = 0
),
matched (subscription_id) AS (
    SELECT DISTINCT subscription_id FROM subscription_rules
    WHERE id NOT IN (SELECT rule_id FROM unmatched_rules)
),
holds (timezone, quiet_start, quiet_end, until) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
           json_extract(value, '$[2]'), json_extract(value, '$[3]')
    FROM json_each(:holds)
),
channel_due (chat_id, thread_id, due_at) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
    FROM json_each(:channels)
)
INSERT OR IGNORE INTO deliveries
    (chat_id, thread_id, kind, dedupe_key, article_id, priority, due_at, created_at)
SELECT s.chat_id,
       CASE WHEN c.kind = 'channel' OR cs.chat_id IS NOT NULL
            THEN COALESCE((SELECT thread_id FROM channel_due WHERE chat_id = s.chat_id),
                          s.thread_id)
            ELSE s.thread_id END,
       'article', 'story:' || n.story_id, n.id,
       CASE WHEN c.kind = 'channel' OR cs.chat_id IS NOT NULL THEN :channel ELSE :instant END,
       CASE WHEN c.kind = 'channel' OR cs.chat_id IS NOT NULL
            THEN COALESCE((SELECT due_at FROM channel_due WHERE chat_id = s.chat_id), :now)
            WHEN s.quiet_start IS NULL THEN :now
            ELSE COALESCE((SELECT until FROM holds h WHERE h.timezone IS s.timezone
                           AND h.quiet_start = s.quiet_start AND h.quiet_end = s.quiet_end),
                          :now) END,
       :now
FROM article n
JOIN matched m
JOIN subscriptions s ON s.id = m.subscription_id AND s.paused = 0
    AND s.since <= n.published_at
JOIN chats c ON c.id = s.chat_id AND c.active = 1
LEFT JOIN channel_settings cs ON cs.chat_id = s.chat_id AND s.thread_id = 0
WHERE (s.mode = 'instant' OR c.kind = 'channel' OR cs.chat_id IS NOT NULL)
  AND ((c.kind <> 'channel' AND cs.chat_id IS NULL)
       OR EXISTS (SELECT 1 FROM channel_due WHERE chat_id = s.chat_id))
"""
"""One article's deliveries. A rule matches unless one of its non-empty parts misses the
article: the rules that miss are found by three grouped scans of the rule tables (one per
part), the rest lead to their subscriptions. Set-based: no step per chat. An auto-post
target is a channel or a forum group linked as one (a ``channel_settings`` row beside its
whole-chat subscription): it gets its mode's due time and its forum topic, if set."""


def plan_article_deliveries(
    connection: sqlite3.Connection,
    article_ids: Sequence[int],
    *,
    now: datetime,
    quiet_until: QuietRule | None = None,
    next_slot: SlotRule | None = None,
    max_age: timedelta = NEWS_MAX_AGE,
) -> int:
    """Plan one delivery per matching active, unpaused subscription for each new article
    (stored in the same transaction), deduped by story; returns the rows planned.

    A subscription matches when any of its rules does (regions × sections × topics, an empty
    part meaning "any") and the article was not published before the subscription began
    (``since``): no backlog for a new subscriber; nor for anyone when the article was
    published more than ``max_age`` before ``now`` (:data:`NEWS_MAX_AGE`). Digest-mode
    subscriptions get no row here (the digest job builds theirs). One set-based ``INSERT …
    SELECT`` whatever the number of chats (one per article); the unique key drops a second
    article of a story already planned for a chat.

    Instant pushes are due ``now``, or when the subscription's quiet hours end
    (``quiet_until``, evaluated once per distinct zone and window, not per chat). Channels
    (linked: a ``channel_settings`` row, not paused; forum groups linked as targets too) are
    due at ``next_slot`` of their mode, in their forum topic (``channel_settings.thread_id``).
    The bot passes both rules (:class:`bot.delivery.planner.DeliveryPlanner`); without them
    everything is due ``now``.
    """
    if not article_ids:
        return 0
    holds: list[tuple[str | None, str, str, str]] = []
    if quiet_until is not None:
        for zone, start, end in connection.execute(
            "SELECT DISTINCT timezone, quiet_start, quiet_end FROM subscriptions"
            " WHERE quiet_start IS NOT NULL AND quiet_end IS NOT NULL"
            " AND mode = 'instant' AND paused = 0"
        ):
            until = quiet_until(now, zone, start, end)
            if until is not None and until > now:
                holds.append((zone, start, end, to_db(until)))
    parameters: dict[str, str | int] = {
        "holds": json.dumps(holds),
        "channels": json.dumps(_channel_due(connection, now, next_slot)),
        "now": to_db(now),
        "fresh_since": to_db(now - max_age),
        "channel": int(Priority.CHANNEL),
        "instant": int(Priority.INSTANT),
    }
    planned = 0
    for article_id in sorted(set(article_ids)):  # a statement per article, none per chat
        connection.execute(_PLAN, {**parameters, "article": article_id})
        # changes(), not total_changes: the latter also counts rows the OR IGNORE dropped.
        planned += connection.execute("SELECT changes()").fetchone()[0]
    return planned


def _channel_due(
    connection: sqlite3.Connection, now: datetime, next_slot: SlotRule | None
) -> list[tuple[int, int | None, str]]:
    """(chat id, forum topic or None, due) of every linked, unpaused channel."""
    found: list[tuple[int, int | None, str]] = []
    for chat_id, thread_id, mode, slots, gap, last_post_at, zone in connection.execute(
        "SELECT cs.chat_id, NULLIF(cs.thread_id, 0), cs.mode, cs.slots, cs.min_gap_seconds,"
        " cs.last_post_at, (SELECT timezone FROM subscriptions s WHERE s.chat_id = cs.chat_id"
        " ORDER BY s.thread_id LIMIT 1)"
        " FROM channel_settings cs WHERE NOT cs.paused"
    ):
        due = now
        if next_slot is not None:
            batched = mode == "batched" and slots
            due = next_slot(
                now,
                zone,
                tuple(part.strip() for part in slots.split(",")) if batched else (),
                timedelta(seconds=gap or 0),
                from_db_optional(last_post_at),
            )
        found.append((chat_id, thread_id, to_db(max(due, now))))
    return found


def enqueue(
    connection: sqlite3.Connection,
    rows: Sequence[PlannedDelivery],
    *,
    now: datetime | None = None,
) -> int:
    """Put digests, broadcasts or batched posts into the outbox; a row whose (chat, thread,
    dedupe key) is already there is ignored. Returns the rows added. ``now`` is only the
    bookkeeping ``created_at`` (the wall clock if not given)."""
    created = to_db(now if now is not None else utc_now())
    cursor = connection.executemany(
        "INSERT OR IGNORE INTO deliveries (chat_id, thread_id, kind, dedupe_key, article_id,"
        " body, priority, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                row.chat_id,
                row.thread_id,
                row.kind.value,
                row.dedupe_key,
                row.article_id,
                row.body,
                int(row.priority),
                to_db(row.due_at),
                created,
            )
            for row in rows
        ],
    )
    return cursor.rowcount


_CLAIMABLE = (
    "SELECT id, chat_id FROM deliveries"
    " WHERE state = 'pending' AND priority = ? AND due_at <= ?"
    " AND NOT (kind = 'broadcast' AND dedupe_key IN"
    "  (SELECT 'broadcast:' || id FROM broadcasts WHERE state = 'paused'))"
    " ORDER BY due_at, id"
)
"""Due rows of one priority; those of a paused broadcast (``storage/broadcasts.py``) are held
(the subquery runs once per claim, over the few paused broadcasts)."""


def claim_due(
    connection: sqlite3.Connection,
    *,
    now: datetime,
    limit: int,
    exclude_chats: Collection[int] = (),
) -> list[OutboxItem]:
    """Claim up to ``limit`` due deliveries, urgent first then the longest waiting, AT MOST
    ONE PER CHAT and none for a chat that already has one in flight ('sending') or is in
    ``exclude_chats``; they become 'sending' with one more attempt.

    Each priority is one range of the ``deliveries_claim`` index, read only as far as needed.
    """
    if limit <= 0:
        return []
    moment = to_db(now)
    busy = set(exclude_chats)
    busy.update(
        chat_id
        for (chat_id,) in connection.execute(
            "SELECT chat_id FROM deliveries WHERE state = 'sending'"
        )
    )
    busy.update(_channels_in_gap(connection, now))
    chosen: list[int] = []
    for priority in Priority:
        cursor = connection.execute(_CLAIMABLE, (int(priority), moment))
        for delivery_id, chat_id in cursor:
            if chat_id in busy:
                continue
            busy.add(chat_id)
            chosen.append(delivery_id)
            if len(chosen) >= limit:
                break
        cursor.close()
        if len(chosen) >= limit:
            break
    if not chosen:
        return []
    ids = json.dumps(chosen)
    connection.execute(
        "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,"
        " first_attempt_at = COALESCE(first_attempt_at, ?)"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (moment, ids),
    )
    rows = connection.execute(
        "SELECT d.id, d.chat_id, d.thread_id, c.kind AS chat_kind, d.kind, d.priority,"
        " d.article_id, d.body, COALESCE(c.language, 'ru') AS language,"
        " COALESCE((SELECT s.timezone FROM subscriptions s"
        "   WHERE s.chat_id = d.chat_id AND s.thread_id = d.thread_id),"
        "  (SELECT s.timezone FROM subscriptions s WHERE s.chat_id = d.chat_id"
        "   ORDER BY s.thread_id LIMIT 1)) AS timezone,"
        " cs.signature, d.due_at, d.attempts"
        " FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " LEFT JOIN channel_settings cs ON cs.chat_id = d.chat_id"
        " WHERE d.id IN (SELECT value FROM json_each(?))"
        " ORDER BY d.priority, d.due_at, d.id",
        (ids,),
    ).fetchall()
    return [
        OutboxItem(
            id=row[0],
            chat_id=row[1],
            thread_id=row[2],
            chat_kind=row[3],
            kind=DeliveryKind(row[4]),
            priority=Priority(row[5]),
            article_id=row[6],
            body=row[7],
            language=row[8],
            timezone=row[9],
            signature=row[10],
            due_at=from_db(row[11]),
            attempts=row[12],
        )
        for row in rows
    ]


def _channels_in_gap(connection: sqlite3.Connection, now: datetime) -> list[int]:
    """Instant-mode channels whose minimum gap since their last post (here: the last one
    Telegram accepted) has not passed. Batched channels' gaps are between slots, not posts
    (see :mod:`bot.delivery.slots`), and were applied when their posts were planned."""
    found: list[int] = []
    for chat_id, gap, last_post_at in connection.execute(
        "SELECT cs.chat_id, cs.min_gap_seconds, cs.last_post_at FROM channel_settings cs"
        " WHERE cs.mode = 'instant' AND cs.min_gap_seconds > 0 AND cs.paused = 0"
    ):
        last = max_moment(from_db_optional(last_post_at), last_sent_at(connection, chat_id))
        if last is not None and last + timedelta(seconds=gap) > now:
            found.append(chat_id)
    return found


def max_moment(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def last_sent_at(connection: sqlite3.Connection, chat_id: int) -> datetime | None:
    """When Telegram last accepted a delivery to the chat (any topic), if ever."""
    row = connection.execute(
        "SELECT MAX(sent_at) FROM deliveries WHERE chat_id = ? AND state = 'sent'", (chat_id,)
    ).fetchone()
    return from_db_optional(row[0])


def retime_pending_posts(
    connection: sqlite3.Connection, chat_id: int, *, due_at: datetime, now: datetime
) -> int:
    """Move the chat's article posts that are still waiting for a later moment (due after
    ``now``) to ``due_at``: a channel whose mode, slots or gap changed posts them at its
    new next slot. Posts already due (a slot that has come) are left to the sender."""
    return connection.execute(
        "UPDATE deliveries SET due_at = ? WHERE chat_id = ? AND state = 'pending'"
        " AND kind = 'article' AND due_at > ? AND due_at <> ?",
        (to_db(due_at), chat_id, to_db(now), to_db(due_at)),
    ).rowcount


def mark_sent(
    connection: sqlite3.Connection, delivery_id: int, *, message_id: int, now: datetime
) -> None:
    connection.execute(
        "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, error = NULL"
        " WHERE id = ?",
        (message_id, to_db(now), delivery_id),
    )


def retry_later(
    connection: sqlite3.Connection, delivery_id: int, *, due_at: datetime, error: str
) -> None:
    connection.execute(
        "UPDATE deliveries SET state = 'pending', due_at = ?, error = ? WHERE id = ?",
        (to_db(due_at), error, delivery_id),
    )


def mark_failed(
    connection: sqlite3.Connection, delivery_id: int, *, reason: str, now: datetime
) -> None:
    connection.execute(
        "UPDATE deliveries SET state = 'failed', error = ?, sent_at = NULL WHERE id = ?",
        (reason, delivery_id),
    )


def cancel_pending_for_chat(connection: sqlite3.Connection, chat_id: int, *, reason: str) -> int:
    return connection.execute(
        "UPDATE deliveries SET state = 'cancelled', error = ?"
        " WHERE chat_id = ? AND state = 'pending'",
        (reason, chat_id),
    ).rowcount


def recover_in_flight(connection: sqlite3.Connection) -> int:
    return connection.execute(
        "UPDATE deliveries SET state = 'pending' WHERE state = 'sending'"
    ).rowcount


def next_due_at(connection: sqlite3.Connection) -> datetime | None:
    row = connection.execute(
        "SELECT MIN(due_at) FROM deliveries WHERE state = 'pending'"
        " AND NOT (kind = 'broadcast' AND dedupe_key IN"
        "  (SELECT 'broadcast:' || id FROM broadcasts WHERE state = 'paused'))"
    ).fetchone()
    return None if row[0] is None else from_db(row[0])


def counts(connection: sqlite3.Connection) -> dict[str, int]:
    found = dict.fromkeys((state.value for state in DeliveryState), 0)
    for state, number in connection.execute(
        "SELECT state, COUNT(*) FROM deliveries GROUP BY state"
    ):
        found[state] = number
    return found
