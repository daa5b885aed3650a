"""The scheduler and its jobs. APScheduler triggers; the jobs own their own state.

Jobs never overlap themselves, and shutdown waits for the one in flight, so stopping the bot
never leaves a pass half-written.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import Clock
from bot.ingest.ingestor import Ingestor, IngestReport, SourceStatus

log = logging.getLogger(__name__)

INGEST_CHECK_EVERY = timedelta(seconds=30)
"""How often the scheduler looks for sources whose next fetch time has come."""


class IngestJob:
    """One pass over the due sources; a pass still running makes the next tick a no-op."""

    def __init__(self, ingestor: Ingestor) -> None:
        self._ingestor = ingestor
        self._lock = asyncio.Lock()
        self.passes = 0

    async def run(self) -> IngestReport | None:
        if self._lock.locked():
            log.debug("ingest pass still running; this tick is skipped")
            return None
        async with self._lock:
            report = await self._ingestor.run_once(only_due=True)
            self.passes += 1
        failed = [s for s in report.sources if s.status is SourceStatus.ERROR]
        if report.sources:
            log.info(
                "ingest pass: %d sources, %d new articles, %d failed",
                len(report.sources),
                len(report.new_article_ids),
                len(failed),
            )
        return report

    async def wait_idle(self) -> None:
        """Return once no pass is running (a pass in flight is allowed to finish)."""
        async with self._lock:
            return


def build_scheduler(job: IngestJob, *, clock: Clock) -> AsyncIOScheduler:
    """A scheduler (not started) with the ingest job, whose first run is right away."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        job.run,
        "interval",
        seconds=INGEST_CHECK_EVERY.total_seconds(),
        next_run_time=clock(),
        id="ingest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(INGEST_CHECK_EVERY.total_seconds()),
    )
    return scheduler
