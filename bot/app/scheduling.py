"""The scheduler and its jobs. APScheduler triggers; the jobs own their own state.

Jobs never overlap themselves, and shutdown waits for the one in flight, so stopping the bot
never leaves a pass half-written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import Clock
from bot.ingest.ingestor import Ingestor, IngestReport, SourceStatus
from storage.database import StorageFault

log = logging.getLogger(__name__)

INGEST_CHECK_EVERY = timedelta(seconds=30)
"""How often the scheduler looks for sources whose next fetch time has come."""


class IngestJob:
    """One pass over the due sources; a pass still running makes the next tick a no-op.

    If the database fails (:class:`StorageFault`), the job logs one error line and stops: no
    further pass runs until the bot is restarted, so no source is failed or disabled for the
    database's fault. ``failure`` then holds the diagnosed fault, and ``on_failure`` (the hook
    for an admin notification) is awaited once with it.
    """

    def __init__(
        self,
        ingestor: Ingestor,
        *,
        on_failure: Callable[[StorageFault], Awaitable[None]] | None = None,
    ) -> None:
        self._ingestor = ingestor
        self._lock = asyncio.Lock()
        self._on_failure = on_failure
        self.passes = 0
        self.failure: StorageFault | None = None

    async def run(self) -> IngestReport | None:
        if self.failure is not None:
            return None
        if self._lock.locked():
            log.debug("ingest pass still running; this tick is skipped")
            return None
        async with self._lock:
            try:
                report = await self._ingestor.run_once(only_due=True)
            except StorageFault as fault:
                self.failure = fault
                log.error("ingest stopped until the bot is restarted: %s", fault)
                if self._on_failure is not None:
                    await self._on_failure(fault)
                return None
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
