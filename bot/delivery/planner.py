"""Planning deliveries: which chats get a new article, and when.

The ingest stores a source's new articles and plans their deliveries in ONE transaction
(:meth:`DeliveryPlanner.plan` is a unit of work it composes with the save), so a crash can
never leave an article stored without its deliveries, or deliveries without their article.
The rows themselves are chosen by one set-based statement in
:func:`storage.outbox.plan_article_deliveries`; this service adds the time rules that live
above storage: quiet hours (:func:`bot.delivery.quiet.quiet_until`) and channel slots
(:func:`bot.delivery.slots.next_slot`).

No backlog: a subscriber gets only what was published after they subscribed, and a NEW
source's first successful fetch plans nothing (the ingest asks :meth:`should_plan`): its feed
holds days of old items, which ``/latest`` shows but nobody should be pushed. Later fetches of
that source plan every new item as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.delivery.quiet import quiet_until
from bot.delivery.slots import next_slot
from bot.domain.models import SourceState
from storage.database import Database
from storage.outbox import plan_article_deliveries


class DeliveryPlanner:
    """Plans outbox rows for new articles. Stateless: one per process is plenty, but nothing
    assumes that."""

    def plan(
        self, connection: sqlite3.Connection, article_ids: Sequence[int], *, now: datetime
    ) -> int:
        """Unit of work: plan the deliveries of ``article_ids`` (stored in this same
        transaction); returns the rows planned."""
        return plan_article_deliveries(
            connection, article_ids, now=now, quiet_until=quiet_until, next_slot=next_slot
        )

    @staticmethod
    def should_plan(source: SourceState | None) -> bool:
        """Whether the articles a fetch of ``source`` found are pushed: not on a source's
        first successful fetch (its backlog). ``None``: an editor's article, always."""
        return source is None or source.last_success_at is not None

    async def plan_stored(
        self, database: Database, article_ids: Sequence[int], *, now: datetime
    ) -> int:
        """Plan for articles already stored (an editor's article saved in its own unit):
        one write. Prefer composing :meth:`plan` into the write that stores them."""
        return await database.write(lambda connection: self.plan(connection, article_ids, now=now))
