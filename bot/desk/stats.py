"""/stats for the desk: the figures (:mod:`storage.stats`, read in one unit) and the chart
(:mod:`bot.desk.chart`, drawn on a worker thread so the event loop keeps serving updates)."""

from __future__ import annotations

import asyncio
from datetime import UTC

from bot.desk.chart import Day, draw_chart
from bot.domain.clock import Clock, system_clock
from bot.domain.stats import StatsSnapshot
from storage.database import Database
from storage.stats import assemble, daily_series, delivery_figures, subscriber_figures

CHART_DAYS = 30


class StatsService:
    """One per process, built by the composition root and given to handlers as ``stats``."""

    def __init__(
        self, database: Database, *, clock: Clock = system_clock, days: int = CHART_DAYS
    ) -> None:
        self._db = database
        self._clock = clock
        self._days = days

    async def snapshot(self) -> StatsSnapshot:
        """The figures, read as three units (subscribers, deliveries and sources, the daily
        series): each holds the database thread for a fraction of a second at most, and
        whatever else the bot asks meanwhile runs in between."""
        now = self._clock()
        last_day = now.astimezone(UTC).date()
        subscribers = await self._db.read(subscriber_figures)
        deliveries = await self._db.read(lambda conn: delivery_figures(conn, now))
        series = await self._db.read(lambda conn: daily_series(conn, last_day, self._days))
        return assemble(now, subscribers, deliveries, series)

    async def chart(self, snapshot: StatsSnapshot) -> bytes:
        """A PNG: subscribers (line) and deliveries (bars) per UTC day of ``snapshot``."""
        days = [Day(p.day, p.subscribers, p.deliveries) for p in snapshot.series]
        return await asyncio.to_thread(draw_chart, days)
