"""What the digest job reads and writes: the subscriptions that take digests, the articles a
digest period holds for one of them, and the period it has done.

Every function is a unit of work (see :mod:`storage.database`); the job enqueues a digest's
messages (:func:`storage.outbox.enqueue`) and records its period (:func:`record_digest`) in
one write, so a period is either fully in the outbox and done, or neither.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import Article, DeliveryMode
from storage.articles import ARTICLE_COLUMNS, row_to_article
from storage.timestamps import from_db, from_db_optional, to_db


@dataclass(frozen=True, slots=True)
class DigestSubscriber:
    """A subscription that takes digests: its schedule and what the job needs besides (its
    rules are read only when its digest is due)."""

    subscription_id: int
    chat_id: int
    thread_id: int
    mode: DeliveryMode  # DAILY or WEEKLY
    digest_time: str  # "HH:MM"
    digest_weekday: int  # Monday 0
    timezone: str | None
    since: datetime
    last_digest_end: datetime | None
    language: str | None


# A digest period is at least 23 hours long (a day, less one on a clock-change night), so a
# subscription whose last digest ended later than that ago is not due yet, unless its
# settings changed since (a digest time moved later the same day).
_SUBSCRIBERS = """
SELECT s.id, s.chat_id, s.thread_id, s.mode, s.digest_time, s.digest_weekday, s.timezone,
       s.since, s.last_digest_end, c.language
FROM subscriptions s JOIN chats c ON c.id = s.chat_id
WHERE s.mode IN ('daily', 'weekly') AND s.paused = 0 AND c.active = 1 AND c.kind != 'channel'
  AND (s.last_digest_end IS NULL OR s.last_digest_end <= :cutoff
       OR s.updated_at > s.last_digest_end)
ORDER BY s.id
"""
MIN_PERIOD = timedelta(hours=23)


def digest_subscribers(connection: sqlite3.Connection, *, now: datetime) -> list[DigestSubscriber]:
    """The active, unpaused daily or weekly subscriptions of active chats (channels have no
    digests) whose digest may be due at ``now``."""
    rows = connection.execute(_SUBSCRIBERS, {"cutoff": to_db(now - MIN_PERIOD)}).fetchall()
    return [
        DigestSubscriber(
            subscription_id=row[0],
            chat_id=row[1],
            thread_id=row[2],
            mode=DeliveryMode(row[3]),
            digest_time=row[4],
            digest_weekday=row[5],
            timezone=row[6],
            since=from_db(row[7]),
            last_digest_end=from_db_optional(row[8]),
            language=row[9],
        )
        for row in rows
    ]


def followed_regions(connection: sqlite3.Connection, subscription_id: int) -> set[str]:
    """The regions any rule of the subscription names."""
    rows = connection.execute(
        "SELECT DISTINCT x.region_code FROM rule_regions x"
        " JOIN subscription_rules r ON r.id = x.rule_id WHERE r.subscription_id = ?",
        (subscription_id,),
    )
    return {row[0] for row in rows.fetchall()}


_MATCHING = f"""
SELECT {ARTICLE_COLUMNS}
FROM articles a
JOIN subscriptions s ON s.id = :subscription
WHERE a.fetched_at >= :since AND a.fetched_at < :until AND a.published_at >= s.since
  AND NOT EXISTS (  -- a story the chat already got as a push
    SELECT 1 FROM deliveries d
    WHERE d.chat_id = s.chat_id AND d.thread_id = s.thread_id
      AND d.dedupe_key = 'story:' || a.story_id)
  AND EXISTS (
    SELECT 1 FROM subscription_rules r
    WHERE r.subscription_id = s.id
      AND (NOT EXISTS (SELECT 1 FROM rule_regions x WHERE x.rule_id = r.id)
           OR EXISTS (SELECT 1 FROM rule_regions x JOIN article_regions y
                      ON y.region_code = x.region_code AND y.article_id = a.id
                      WHERE x.rule_id = r.id))
      AND (NOT EXISTS (SELECT 1 FROM rule_sections x WHERE x.rule_id = r.id)
           OR EXISTS (SELECT 1 FROM rule_sections x
                      WHERE x.rule_id = r.id AND x.section_slug = a.section_slug))
      AND (NOT EXISTS (SELECT 1 FROM rule_topics x WHERE x.rule_id = r.id)
           OR EXISTS (SELECT 1 FROM rule_topics x JOIN article_topics y
                      ON y.topic_slug = x.topic_slug AND y.article_id = a.id
                      WHERE x.rule_id = r.id)))
ORDER BY a.published_at DESC, a.id DESC
LIMIT :limit
"""


def digest_articles(
    connection: sqlite3.Connection,
    subscription_id: int,
    *,
    since: datetime,
    until: datetime,
    limit: int,
) -> list[Article]:
    """The articles fetched in ``[since, until)`` that match the subscription's rules, not
    published before it began and not already pushed to its chat, newest first, one per
    story (the newest article of it), at most ``limit``."""
    rows = connection.execute(
        _MATCHING,
        {
            "subscription": subscription_id,
            "since": to_db(since),
            "until": to_db(until),
            "limit": limit * 2,  # room for a story told by several sources
        },
    ).fetchall()
    stories: set[int] = set()
    articles: list[Article] = []
    for row in rows:
        article = row_to_article(row)
        if article.story_id not in stories:
            stories.add(article.story_id)
            articles.append(article)
    return articles[:limit]


def record_digest(connection: sqlite3.Connection, subscription_id: int, *, end: datetime) -> bool:
    """The subscription's digest for the period ending at ``end`` is made (or was empty).
    False if a later period was recorded already."""
    cursor = connection.execute(
        "UPDATE subscriptions SET last_digest_end = ?"
        " WHERE id = ? AND (last_digest_end IS NULL OR last_digest_end < ?)",
        (to_db(end), subscription_id, to_db(end)),
    )
    return cursor.rowcount > 0
