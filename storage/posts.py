"""Editors' posts and the revisions of their delivered messages: all their SQL.

Every function is a unit of work (a plain function of a ``sqlite3.Connection``) run by
:meth:`storage.database.Database.read` / :meth:`~storage.database.Database.write`, so the
desk (:mod:`bot.desk.posts`) composes a post's article, its outbox rows and its audit entry
into one transaction.

A published post is an article like any other, with ``source_id`` NULL, identity key
``post:<id>``, ``text`` the editor's checked Telegram HTML, ``teaser`` its plain text (for
search and digests) and ``image_url`` the photo's Telegram ``file_id`` (see
:func:`bot.telegram.cards.editorial_photo`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import ArticleDraft
from bot.domain.posts import DeliveryCounts, Post, PostFields, PostLine
from storage.article_writer import save_drafts
from storage.timestamps import from_db, from_db_optional, to_db

DRAFT = "draft"
SCHEDULED = "scheduled"
PUBLISHED = "published"
RETRACTED = "retracted"
CANCELLED = "cancelled"

REVISION_LEASE = timedelta(minutes=2)
"""A claimed revision is due again after this unless finished: a crash retries it (an edit
or a deletion done twice is harmless: Telegram answers «not modified» or «not found»)."""


@dataclass(frozen=True, slots=True)
class RevisionItem:
    """One delivered message to edit or retract, with what rendering its card needs."""

    id: int
    delivery_id: int
    action: str  # 'edit' | 'retract'
    chat_id: int
    chat_kind: str
    delivery_state: str
    delivery_due_at: datetime
    message_id: int | None
    article_id: int | None
    language: str
    timezone: str | None
    signature: str | None
    sent_at: datetime | None
    attempts: int


_POST_COLUMNS = (
    "id, author_id, state, title, body_html, photo_file_id, regions, section_slug, topics,"
    " urgent, publish_at, article_id, published_at, retracted_at, created_at, updated_at"
)


def _post(row: Sequence[object]) -> Post:
    return Post(
        id=int(row[0]),  # type: ignore[call-overload]
        author_id=int(row[1]),  # type: ignore[call-overload]
        state=str(row[2]),
        fields=PostFields(
            title=str(row[3]),
            body_html=str(row[4]),
            photo_file_id=None if row[5] is None else str(row[5]),
            regions=tuple(json.loads(str(row[6]))),
            section=None if row[7] is None else str(row[7]),
            topics=tuple(json.loads(str(row[8]))),
            urgent=bool(row[9]),
        ),
        publish_at=from_db_optional(row[10]),  # type: ignore[arg-type]
        article_id=None if row[11] is None else int(row[11]),  # type: ignore[call-overload]
        published_at=from_db_optional(row[12]),  # type: ignore[arg-type]
        retracted_at=from_db_optional(row[13]),  # type: ignore[arg-type]
        created_at=from_db(str(row[14])),
        updated_at=from_db(str(row[15])),
    )


def _field_values(fields: PostFields) -> tuple[object, ...]:
    return (
        fields.title,
        fields.body_html,
        fields.photo_file_id,
        json.dumps(list(fields.regions)),
        fields.section,
        json.dumps(list(fields.topics)),
        int(fields.urgent),
    )


def save_draft(
    conn: sqlite3.Connection,
    post_id: int | None,
    fields: PostFields,
    *,
    author_id: int,
    now: datetime,
) -> int:
    """Insert a draft (``post_id`` None) or update a draft's fields; returns its id.

    A post that is no longer a draft is left as it is (its id returned)."""
    if post_id is not None:
        updated = conn.execute(
            "UPDATE posts SET title = ?, body_html = ?, photo_file_id = ?, regions = ?,"
            " section_slug = ?, topics = ?, urgent = ?, updated_at = ?"
            " WHERE id = ? AND state = 'draft'",
            (*_field_values(fields), to_db(now), post_id),
        ).rowcount
        if updated or get_post(conn, post_id) is not None:
            return post_id
    cursor = conn.execute(
        "INSERT INTO posts (author_id, state, title, body_html, photo_file_id, regions,"
        " section_slug, topics, urgent, created_at, updated_at)"
        " VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (author_id, *_field_values(fields), to_db(now), to_db(now)),
    )
    return int(cursor.lastrowid or 0)


def get_post(conn: sqlite3.Connection, post_id: int) -> Post | None:
    row = conn.execute(f"SELECT {_POST_COLUMNS} FROM posts WHERE id = ?", (post_id,)).fetchone()
    return None if row is None else _post(row)


def set_state(
    conn: sqlite3.Connection, post_id: int, state: str, *, now: datetime, expect: Sequence[str]
) -> bool:
    """Move the post to ``state`` if it is in one of ``expect``; whether it moved."""
    return bool(
        conn.execute(
            "UPDATE posts SET state = ?, updated_at = ?, publish_at = CASE WHEN ? = 'scheduled'"
            " THEN publish_at ELSE NULL END"
            " WHERE id = ? AND state IN (SELECT value FROM json_each(?))",
            (state, to_db(now), state, post_id, json.dumps(list(expect))),
        ).rowcount
    )


def schedule(conn: sqlite3.Connection, post_id: int, *, at: datetime, now: datetime) -> bool:
    """A draft (or a scheduled post, moved) becomes scheduled for ``at``."""
    return bool(
        conn.execute(
            "UPDATE posts SET state = 'scheduled', publish_at = ?, updated_at = ?"
            " WHERE id = ? AND state IN ('draft', 'scheduled')",
            (to_db(at), to_db(now), post_id),
        ).rowcount
    )


def due_scheduled(conn: sqlite3.Connection, *, now: datetime) -> list[int]:
    """Scheduled posts whose time has come, the earliest first."""
    return [
        int(row[0])
        for row in conn.execute(
            "SELECT id FROM posts WHERE state = 'scheduled' AND publish_at <= ?"
            " ORDER BY publish_at, id",
            (to_db(now),),
        )
    ]


def next_scheduled_at(conn: sqlite3.Connection) -> datetime | None:
    row = conn.execute("SELECT MIN(publish_at) FROM posts WHERE state = 'scheduled'").fetchone()
    return None if row[0] is None else from_db(row[0])


def store_article(
    conn: sqlite3.Connection, post: Post, draft: ArticleDraft, *, now: datetime
) -> int:
    """Store the post's article (a new one) and mark the post published; the article's id."""
    [saved] = save_drafts(conn, None, [draft])
    conn.execute(
        "UPDATE posts SET state = 'published', article_id = ?, published_at = ?,"
        " publish_at = NULL, updated_at = ? WHERE id = ?",
        (saved.article_id, to_db(now), to_db(now), post.id),
    )
    return saved.article_id


def update_published(
    conn: sqlite3.Connection,
    post_id: int,
    fields: PostFields,
    draft: ArticleDraft,
    *,
    now: datetime,
) -> None:
    """A published post's new title, text or photo, in the post and its article."""
    conn.execute(
        "UPDATE posts SET title = ?, body_html = ?, photo_file_id = ?, regions = ?,"
        " section_slug = ?, topics = ?, urgent = ?, updated_at = ? WHERE id = ?",
        (*_field_values(fields), to_db(now), post_id),
    )
    conn.execute(
        "UPDATE articles SET title = ?, title_key = ?, teaser = ?, text = ?, image_url = ?,"
        " updated_at = ?, content_hash = ?"
        " WHERE id = (SELECT article_id FROM posts WHERE id = ?)",
        (
            draft.title,
            draft.title_key,
            draft.teaser,
            draft.text,
            draft.image_url,
            to_db(now),
            draft.content_hash,
            post_id,
        ),
    )


def mark_retracted(conn: sqlite3.Connection, post_id: int, *, now: datetime) -> bool:
    """The post is retracted and its article deleted (gone from /latest, search and
    digests); its deliveries stay, their article NULL. Call after :func:`enqueue_revisions`."""
    post = get_post(conn, post_id)
    if post is None or post.state != PUBLISHED:
        return False
    conn.execute(
        "UPDATE posts SET state = 'retracted', retracted_at = ?, updated_at = ? WHERE id = ?",
        (to_db(now), to_db(now), post_id),
    )
    if post.article_id is not None:
        conn.execute("DELETE FROM articles WHERE id = ?", (post.article_id,))
    return True


def make_urgent(conn: sqlite3.Connection, article_id: int) -> int:
    """The article's planned deliveries go first (Priority.URGENT = 0)."""
    return conn.execute(
        "UPDATE deliveries SET priority = 0 WHERE article_id = ? AND state = 'pending'",
        (article_id,),
    ).rowcount


def cancel_pending(conn: sqlite3.Connection, article_id: int, *, reason: str) -> int:
    """Deliveries of the article not yet sent are cancelled (a retraction)."""
    return conn.execute(
        "UPDATE deliveries SET state = 'cancelled', error = ?"
        " WHERE article_id = ? AND state = 'pending'",
        (reason, article_id),
    ).rowcount


def list_posts(conn: sqlite3.Connection, *, recent: int = 10) -> list[PostLine]:
    """Drafts and scheduled posts (all), then the ``recent`` latest published or retracted,
    each with its deliveries: delivered (sent), pending (pending or sending), failed."""
    rows = conn.execute(
        f"SELECT {_POST_COLUMNS} FROM posts WHERE state IN ('draft', 'scheduled')"
        " ORDER BY state = 'draft', COALESCE(publish_at, updated_at), id"
    ).fetchall()
    rows += conn.execute(
        f"SELECT {_POST_COLUMNS} FROM posts WHERE state IN ('published', 'retracted')"
        " ORDER BY published_at DESC, id DESC LIMIT ?",
        (recent,),
    ).fetchall()
    lines = []
    for row in rows:
        post = _post(row)
        if post.state == RETRACTED:
            counts = DeliveryCounts(
                delivered=sum(revision_counts(conn, post.id, "retract").values())
            )
        else:
            counts = delivery_counts(conn, post.article_id)
        lines.append(PostLine(post, counts))
    return lines


def author_zone(conn: sqlite3.Connection, user_id: int) -> str | None:
    """The time zone of the editor's private chat with the bot, if they set one."""
    row = conn.execute(
        "SELECT timezone FROM subscriptions WHERE chat_id = ? ORDER BY thread_id LIMIT 1",
        (user_id,),
    ).fetchone()
    return None if row is None else row[0]


def delivery_counts(conn: sqlite3.Connection, article_id: int | None) -> DeliveryCounts:
    if article_id is None:
        return DeliveryCounts()
    found = dict(
        conn.execute(
            "SELECT state, COUNT(*) FROM deliveries WHERE article_id = ? GROUP BY state",
            (article_id,),
        ).fetchall()
    )
    return DeliveryCounts(
        delivered=found.get("sent", 0),
        pending=found.get("pending", 0) + found.get("sending", 0),
        failed=found.get("failed", 0),
    )


# revisions of delivered messages ----------------------------------------------------------


def enqueue_revisions(
    conn: sqlite3.Connection, post_id: int, article_id: int, action: str, *, now: datetime
) -> int:
    """One revision per message of the article that was sent, is being sent or is still
    waiting (quiet hours, a channel's slot): the revision waits for its answer, so a message
    rendered before the change (the sender caches cards) is corrected too. Returns how many."""
    return conn.execute(
        "INSERT INTO delivery_revisions (delivery_id, post_id, action, due_at, created_at)"
        " SELECT id, ?, ?, ?, ? FROM deliveries"
        " WHERE article_id = ? AND state IN ('sent', 'sending', 'pending')",
        (post_id, action, to_db(now), to_db(now), article_id),
    ).rowcount


def claim_revisions(conn: sqlite3.Connection, *, now: datetime, limit: int) -> list[RevisionItem]:
    """Up to ``limit`` due revisions, the oldest first; each is leased (due again after
    :data:`REVISION_LEASE` unless finished), with one more attempt."""
    ids = [
        int(row[0])
        for row in conn.execute(
            "SELECT id FROM delivery_revisions WHERE state = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (to_db(now), limit),
        )
    ]
    if not ids:
        return []
    chosen = json.dumps(ids)
    conn.execute(
        "UPDATE delivery_revisions SET attempts = attempts + 1, due_at = ?"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (to_db(now + REVISION_LEASE), chosen),
    )
    rows = conn.execute(
        "SELECT r.id, r.delivery_id, r.action, d.chat_id, c.kind, d.state, d.due_at,"
        " d.message_id,"
        " d.article_id, COALESCE(c.language, 'ru'),"
        " COALESCE((SELECT s.timezone FROM subscriptions s"
        "   WHERE s.chat_id = d.chat_id AND s.thread_id = d.thread_id),"
        "  (SELECT s.timezone FROM subscriptions s WHERE s.chat_id = d.chat_id"
        "   ORDER BY s.thread_id LIMIT 1)),"
        " cs.signature, d.sent_at, r.attempts"
        " FROM delivery_revisions r JOIN deliveries d ON d.id = r.delivery_id"
        " JOIN chats c ON c.id = d.chat_id"
        " LEFT JOIN channel_settings cs ON cs.chat_id = d.chat_id"
        " WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.due_at, r.id",
        (chosen,),
    ).fetchall()
    return [
        RevisionItem(
            id=row[0],
            delivery_id=row[1],
            action=row[2],
            chat_id=row[3],
            chat_kind=row[4],
            delivery_state=row[5],
            delivery_due_at=from_db(row[6]),
            message_id=row[7],
            article_id=row[8],
            language=row[9],
            timezone=row[10],
            signature=row[11],
            sent_at=from_db_optional(row[12]),
            attempts=row[13],
        )
        for row in rows
    ]


def finish_revision(
    conn: sqlite3.Connection, revision_id: int, *, outcome: str, now: datetime
) -> None:
    conn.execute(
        "UPDATE delivery_revisions SET state = 'done', outcome = ?, done_at = ?, error = NULL"
        " WHERE id = ?",
        (outcome, to_db(now), revision_id),
    )


def retry_revision(
    conn: sqlite3.Connection, revision_id: int, *, due_at: datetime, error: str
) -> None:
    conn.execute(
        "UPDATE delivery_revisions SET due_at = ?, error = ? WHERE id = ?",
        (to_db(due_at), error, revision_id),
    )


def fail_revision(
    conn: sqlite3.Connection, revision_id: int, *, error: str, now: datetime
) -> None:
    conn.execute(
        "UPDATE delivery_revisions SET state = 'failed', error = ?, done_at = ? WHERE id = ?",
        (error, to_db(now), revision_id),
    )


def revision_counts(
    conn: sqlite3.Connection, post_id: int, action: str | None = None
) -> dict[str, int]:
    """Revisions of the post's messages by state and outcome: ``{'done:edited': 3,
    'pending': 1, 'failed': 0}``; only those of ``action`` when given."""
    found: dict[str, int] = {}
    for state, outcome, number in conn.execute(
        "SELECT state, outcome, COUNT(*) FROM delivery_revisions"
        " WHERE post_id = ? AND (? IS NULL OR action = ?) GROUP BY state, outcome",
        (post_id, action, action),
    ):
        key = state if outcome is None else f"{state}:{outcome}"
        found[key] = number
    return found


def next_revision_at(conn: sqlite3.Connection) -> datetime | None:
    row = conn.execute(
        "SELECT MIN(due_at) FROM delivery_revisions WHERE state = 'pending'"
    ).fetchone()
    return None if row[0] is None else from_db(row[0])
