"""The outbox's vocabulary: what is to be sent to which chat, and how far it got.

Shared by the planner (``storage.outbox``, ``bot.delivery.planner``), the jobs that enqueue
digests and channel posts, and the sender that drains the outbox (issue 10).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum


class DeliveryKind(StrEnum):
    ARTICLE = "article"  # a card rendered at send time from ``article_id``
    DIGEST = "digest"  # pre-rendered ``body``
    BROADCAST = "broadcast"  # pre-rendered ``body``


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by the sender; Telegram may or may not have it
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Priority(IntEnum):
    """Lower goes first."""

    URGENT = 0  # an editor's urgent item
    INSTANT = 1  # an instant push to a reader
    CHANNEL = 2  # a channel post
    DIGEST = 3  # a digest


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed delivery, as the sender gets it."""

    id: int
    chat_id: int
    thread_id: int  # 0 = none
    chat_kind: str  # 'private' | 'group' | 'supergroup' | 'channel'
    kind: DeliveryKind
    priority: Priority
    article_id: int | None
    body: str | None  # pre-rendered HTML, or None: render the article's card
    language: str  # 'ru' | 'en' (chat's, default 'ru')
    timezone: str | None  # the subscription's zone, for dates on cards
    signature: str | None  # channels' signature line
    due_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A row to put into the outbox with :func:`storage.outbox.enqueue` (digests, broadcasts,
    batched channel posts). A second row with the same (chat, thread, dedupe key) is ignored."""

    chat_id: int
    kind: DeliveryKind
    dedupe_key: str  # 'story:<id>' | 'digest:<period start, UTC ISO>:<part>' | 'broadcast:<id>'
    priority: Priority
    due_at: datetime
    thread_id: int = 0
    article_id: int | None = None
    body: str | None = None


def story_key(story_id: int) -> str:
    return f"story:{story_id}"


def digest_key(period_start: str, part: int) -> str:
    """``period_start`` as stored (``storage.timestamps.to_db``); ``part`` counts from 1."""
    return f"digest:{period_start}:{part}"


def broadcast_key(broadcast_id: int | str) -> str:
    return f"broadcast:{broadcast_id}"


QuietRule = Callable[[datetime, str | None, str | None, str | None], datetime | None]
"""``quiet_until(now, zone, quiet_start, quiet_end)``: when the quiet hours holding ``now``
end (UTC), or ``None`` when ``now`` is not quiet (``bot.delivery.quiet.quiet_until``)."""

SlotRule = Callable[[datetime, str | None, Sequence[str], timedelta, datetime | None], datetime]
"""``next_slot(now, zone, slots, min_gap, last_post_at)``: when a channel's next post may go
out (``bot.delivery.slots.next_slot``)."""
