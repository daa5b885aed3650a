"""The scheduler runs any number of jobs, one instance each, and shutdown drains them all.

A real APScheduler on the test's event loop; jobs that wait on events instead of sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.app.scheduling import PeriodicJob, build_scheduler, stop_jobs
from bot.domain.clock import system_clock

HOUR = timedelta(hours=1)


class Recorder:
    """A job's work: counts its runs, and can be held inside a run until released."""

    def __init__(self, *, hold: bool = False) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = 0
        if not hold:
            self.release.set()

    async def __call__(self) -> str:
        self.started.set()
        await self.release.wait()
        self.finished += 1
        return "done"


async def test_two_jobs_run_at_once_and_shutdown_waits_for_the_one_still_running() -> None:
    quick, slow = Recorder(), Recorder(hold=True)
    jobs = [PeriodicJob("sender", HOUR, quick), PeriodicJob("digest", HOUR, slow)]
    scheduler = build_scheduler(jobs, clock=system_clock)
    scheduler.start()
    try:
        await asyncio.wait_for(
            asyncio.gather(quick.started.wait(), slow.started.wait()), timeout=5
        )
        assert await jobs[1].run() is None  # a tick while it runs is a no-op
        stopping = asyncio.create_task(stop_jobs(scheduler, jobs))
        await asyncio.sleep(0.01)
        assert not stopping.done()  # the digest is still running
        assert not scheduler.running  # but nothing new starts
        slow.release.set()
        await asyncio.wait_for(stopping, timeout=5)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
    assert (quick.finished, slow.finished) == (1, 1)
    assert (jobs[0].runs, jobs[1].runs) == (1, 1)


async def test_each_job_is_one_instance_with_missed_ticks_coalesced() -> None:
    jobs = [
        PeriodicJob("ingest", timedelta(seconds=30), Recorder()),
        PeriodicJob("slots", CronTrigger(minute="0,30", timezone="UTC"), Recorder()),
    ]
    scheduler = build_scheduler(jobs, clock=system_clock)
    scheduler.start(paused=True)
    try:
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == {"ingest", "slots"}
        for job in scheduled.values():
            assert (job.max_instances, job.coalesce) == (1, True)
        assert scheduled["ingest"].trigger.interval == timedelta(seconds=30)
        assert scheduled["ingest"].next_run_time <= system_clock()  # the first run at once
        assert scheduled["slots"].next_run_time.minute in (0, 30)
    finally:
        scheduler.shutdown(wait=False)


def test_job_names_must_be_unique() -> None:
    jobs = [PeriodicJob("ingest", HOUR, Recorder()), PeriodicJob("ingest", HOUR, Recorder())]
    with pytest.raises(ValueError, match="unique"):
        build_scheduler(jobs, clock=system_clock)
