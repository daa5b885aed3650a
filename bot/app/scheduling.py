"""The scheduler and its jobs. APScheduler triggers; the jobs own their own state.

A :class:`Job` is anything with a ``name``, an ``every`` (a ``timedelta`` for a fixed
interval, first run right away; or an APScheduler trigger, e.g. ``CronTrigger``, run on its
own schedule), ``async run()`` and ``async wait_idle()``. :func:`build_scheduler` takes any
number of them; each runs as one instance at a time, and ticks missed while it ran are
coalesced into one. :func:`stop_jobs` stops the scheduler and waits for every job in flight,
so stopping the bot never leaves a pass half-written. :class:`PeriodicJob` turns an async
function into such a job.

One scheduler per bot process (the composition root builds it); the jobs assume no other
process runs them on the same database (see :mod:`bot.app.process_lock`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.clock import Clock
from bot.ingest.ingestor import Ingestor, IngestReport, SourceStatus
from storage.database import StorageFault

log = logging.getLogger(__name__)

INGEST_CHECK_EVERY = timedelta(seconds=30)
"""How often the scheduler looks for sources whose next fetch time has come."""


class Job(Protocol):
    """What the scheduler runs. ``run`` is called on every tick (never twice at once by the
    scheduler); ``wait_idle`` returns once no run is in flight."""

    @property
    def name(self) -> str: ...

    @property
    def every(self) -> timedelta | Any:
        """A ``timedelta`` (fixed interval, first run at once) or an APScheduler trigger."""
        ...

    async def run(self) -> object: ...

    async def wait_idle(self) -> None: ...


class PeriodicJob:
    """A :class:`Job` around an async function; a run still going makes a tick a no-op.

    The work runs as a task of its own, shielded from the scheduler: APScheduler cancels the
    coroutines of running jobs when it shuts down, which would stop a pass half-written, so
    a run in flight carries on and :meth:`wait_idle` waits for it. A run that fails is logged
    and the next tick tries again.
    """

    def __init__(
        self, name: str, every: timedelta | Any, work: Callable[[], Awaitable[object]]
    ) -> None:
        self.name = name
        self.every = every
        self._work = work
        self._running: asyncio.Task[object] | None = None
        self.runs = 0

    async def run(self) -> object:
        if self._running is not None and not self._running.done():
            log.debug("%s still running; this tick is skipped", self.name)
            return None
        self._running = asyncio.get_running_loop().create_task(self._run_once())
        return await asyncio.shield(self._running)

    async def _run_once(self) -> object:
        try:
            return await self._work()
        except Exception:
            log.exception("the %s job failed; the next tick tries again", self.name)
            return None
        finally:
            self.runs += 1

    async def wait_idle(self) -> None:
        if self._running is not None:
            await asyncio.wait({self._running})


class IngestJob(PeriodicJob):
    """One pass over the due sources every :data:`INGEST_CHECK_EVERY`.

    If the database fails (:class:`StorageFault`), the job logs one error line and stops: no
    further pass runs until the bot is restarted, so no source is failed or disabled for the
    database's fault. ``failure`` then holds the diagnosed fault, and ``on_failure`` (the hook
    for an admin notification) is awaited once with it.
    """

    def __init__(
        self,
        ingestor: Ingestor,
        *,
        every: timedelta = INGEST_CHECK_EVERY,
        on_failure: Callable[[StorageFault], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__("ingest", every, self._pass)
        self._ingestor = ingestor
        self._on_failure = on_failure
        self.failure: StorageFault | None = None
        self.passes = 0
        """Passes completed (a pass stopped by a database failure is not one)."""

    async def _pass(self) -> IngestReport | None:
        if self.failure is not None:
            return None
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


def build_scheduler(jobs: Sequence[Job], *, clock: Clock) -> AsyncIOScheduler:
    """A scheduler (not started) with every job: one instance each, missed ticks coalesced.

    Interval jobs first run right away (at ``clock()``); trigger jobs when their trigger says.
    """
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"job names must be unique: {names}")
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        options: dict[str, Any] = {}
        if isinstance(job.every, timedelta):
            seconds = job.every.total_seconds()
            trigger: Any = IntervalTrigger(seconds=seconds, timezone="UTC")
            options = {"next_run_time": clock(), "misfire_grace_time": max(int(seconds), 1)}
        else:
            trigger = job.every
        scheduler.add_job(
            job.run, trigger, id=job.name, name=job.name, max_instances=1, coalesce=True, **options
        )
    return scheduler


async def stop_jobs(scheduler: AsyncIOScheduler, jobs: Sequence[Job]) -> None:
    """Stop starting runs, then wait for every run in flight to finish."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
    await asyncio.sleep(0)  # a run the scheduler has just launched takes its first step
    await asyncio.gather(*(job.wait_idle() for job in jobs))
