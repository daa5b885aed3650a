"""The ingest service: sources in, deduplicated tagged articles out.

One pass fetches each source (politely, see :mod:`bot.ingest.schedule`), parses it in a worker
process, drafts and tags the items, and stores them with the source's new fetch state in one
transaction. A failing source is reported, backed off and, after many failures, disabled with
the reason; it never stops the others. A failing *database* (:class:`StorageFault`) is no
source's fault: it stops the pass, counts against no source, and is raised to the caller with
``PRAGMA integrity_check``'s verdict.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.delivery.planner import DeliveryPlanner
from bot.domain.clock import Clock
from bot.domain.errors import FeedError, FeedHTTPError
from bot.domain.models import (
    Article,
    DraftedFeed,
    FetchResult,
    HtmlSelectors,
    Region,
    SavedArticle,
    SaveStatus,
    SourceKind,
    SourceState,
)
from bot.ingest.drafting import DraftContext
from bot.ingest.schedule import (
    first_fetch_offset,
    next_fetch_after_failure,
    next_fetch_after_success,
    should_disable,
)
from bot.ingest.sources_file import SourcesFile
from storage.articles import ArticleRepository
from storage.database import Database, StorageFault
from storage.ingest_writes import save_fetched
from storage.sources import FetchFailure, FetchSuccess, SourceRepository

log = logging.getLogger(__name__)

HTTP_GONE = 410


class FeedFetcher(Protocol):
    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class FeedDrafter(Protocol):
    """Parses a fetched document and drafts its items (in worker processes, in production)."""

    async def draft(
        self,
        body: bytes,
        *,
        url: str,
        http_charset: str | None,
        selectors: HtmlSelectors | None,
        context: DraftContext,
    ) -> DraftedFeed: ...


class SourceStatus(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not modified"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one pass did with one source."""

    source: str
    status: SourceStatus
    new: int = 0
    updated: int = 0
    error: str | None = None
    disabled_reason: str | None = None
    new_article_ids: tuple[int, ...] = ()
    planned: int = 0  # deliveries planned for the new articles (none on a first fetch)


@dataclass(frozen=True, slots=True)
class IngestReport:
    sources: tuple[SourceReport, ...] = ()
    problems: tuple[SourceReport, ...] = field(default=())

    @property
    def new_article_ids(self) -> tuple[int, ...]:
        return tuple(
            article_id for report in self.sources for article_id in report.new_article_ids
        )

    @property
    def planned_deliveries(self) -> int:
        return sum(report.planned for report in self.sources)


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    default_interval_seconds: int = 900
    max_consecutive_errors: int = 10
    default_timezone: str = "Europe/Moscow"
    sources_in_flight: int = 20
    """Sources between fetch and store at once: bounds the bodies and drafts held in memory."""


class Ingestor:
    def __init__(
        self,
        *,
        database: Database,
        fetcher: FeedFetcher,
        drafter: FeedDrafter,
        regions: Sequence[Region],
        clock: Clock,
        policy: IngestPolicy,
    ) -> None:
        self._db = database
        self._sources = SourceRepository(database)
        self._articles = ArticleRepository(database)
        self._planner = DeliveryPlanner()
        self._fetcher = fetcher
        self._drafter = drafter
        self._region_zones = {region.code: region.timezone for region in regions}
        self._clock = clock
        self._policy = policy
        self._problems: tuple[SourceReport, ...] = ()

    async def sync_sources(self, sources_file: SourcesFile) -> None:
        """Bring the stored sources in line with the file; remember its problems for reports.

        A disabled or failing source whose configuration changed in the file starts afresh
        (enabled, errors forgotten, fetched within seconds); a log line names it.
        """
        now = self._clock()
        first_fetch = {
            config.name: now
            + first_fetch_offset(
                config.name, config.interval_seconds or self._policy.default_interval_seconds
            )
            for config in sources_file.sources
        }
        outcome = await self._sources.sync_config(
            sources_file.sources,
            default_interval=self._policy.default_interval_seconds,
            first_fetch_at=first_fetch,
            now=now,
        )
        for name in outcome.restarted:
            log.info(
                "source %s: its configuration changed in the sources file; enabled again,"
                " error count reset",
                name,
            )
        self._problems = tuple(
            SourceReport(problem.name, SourceStatus.ERROR, error=problem.reason)
            for problem in sources_file.problems
        )

    async def run_once(self, *, only_due: bool) -> IngestReport:
        """One pass: every enabled source (or only those due), concurrently.

        Raises :class:`StorageFault` (diagnosed) if the database fails: the sources still in
        flight are cancelled and none of them is counted as failed.
        """
        try:
            return await self._pass(only_due=only_due)
        except StorageFault as fault:
            raise await self._db.diagnose(fault) from fault.__cause__

    async def _pass(self, *, only_due: bool) -> IngestReport:
        if only_due:
            sources = await self._sources.due(self._clock())
        else:
            sources = tuple(s for s in await self._sources.configured() if s.enabled)
        slots = asyncio.Semaphore(self._policy.sources_in_flight)

        async def ingest_in_slot(source: SourceState) -> SourceReport:
            async with slots:
                return await self.ingest(source)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(ingest_in_slot(source)) for source in sources]
        except ExceptionGroup as failures:
            faults = failures.subgroup(StorageFault)
            if faults is None:
                raise
            fault = _first_fault(faults)
            raise fault from fault.__cause__
        return IngestReport(tuple(task.result() for task in tasks), self._problems)

    async def articles(self, ids: Sequence[int]) -> tuple[Article, ...]:
        """The stored articles a report names, newest first."""
        return await self._articles.get_many(ids)

    async def ingest(self, source: SourceState) -> SourceReport:
        """Fetch, parse, tag and store one source. Never raises for the source's own faults;
        raises :class:`StorageFault` for the database's."""
        try:
            return await self._ingest(source)
        except StorageFault:
            raise
        except FeedError as error:
            return await self._fail(source, error.reason, error)
        except Exception as error:  # a bug must not stop the other sources
            log.exception("unexpected failure while ingesting %s", source.name)
            return await self._fail(source, f"internal error: {type(error).__name__}", error)

    async def _ingest(self, source: SourceState) -> SourceReport:
        fetched = await self._fetcher.fetch(
            source.url, etag=source.etag, last_modified=source.last_modified
        )
        if fetched.not_modified:
            now = self._clock()
            await self._sources.record_success(
                source.id,
                FetchSuccess(
                    now=now,
                    next_fetch_at=next_fetch_after_success(
                        now,
                        interval_seconds=source.interval_seconds,
                        fresh_until=fetched.fresh_until,
                    ),
                    etag=fetched.etag or source.etag,
                    last_modified=fetched.last_modified or source.last_modified,
                    new_url=fetched.permanent_redirect,
                ),
            )
            return SourceReport(source.name, SourceStatus.NOT_MODIFIED)

        now = self._clock()
        context = DraftContext(
            fetched_at=now,
            timezone=ZoneInfo(self._zone_of(source)),
            default_region=source.region,
            default_section=source.section,
            default_topics=source.topics,
        )
        drafted = await self._drafter.draft(
            fetched.body,
            url=fetched.url,
            http_charset=fetched.charset,
            selectors=source.html if source.kind is SourceKind.HTML else None,
            context=context,
        )
        drafts = drafted.drafts
        success = FetchSuccess(
            now=now,
            next_fetch_at=next_fetch_after_success(
                now,
                interval_seconds=source.interval_seconds,
                fresh_until=fetched.fresh_until,
                ttl_seconds=drafted.ttl_seconds,
            ),
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            new_url=fetched.permanent_redirect,
        )
        plan_new = self._planner.should_plan(source)

        def save_and_plan(connection: sqlite3.Connection) -> tuple[list[SavedArticle], int]:
            # One transaction: the articles, the source's new fetch state and their outbox rows.
            stored = save_fetched(connection, source.id, drafts, success)
            fresh = [s.article_id for s in stored if s.status is SaveStatus.NEW]
            rows = self._planner.plan(connection, fresh, now=now) if fresh and plan_new else 0
            return stored, rows

        saved, planned = await self._db.write(save_and_plan)
        new_ids = [s.article_id for s in saved if s.status is SaveStatus.NEW]
        updated = sum(1 for s in saved if s.status is SaveStatus.UPDATED)
        status = SourceStatus.NEW if new_ids else SourceStatus.UNCHANGED
        return SourceReport(
            source.name,
            status,
            new=len(new_ids),
            updated=updated,
            new_article_ids=tuple(new_ids),
            planned=planned,
        )

    def _zone_of(self, source: SourceState) -> str:
        if source.timezone:
            return source.timezone
        if source.region and source.region in self._region_zones:
            return self._region_zones[source.region]
        return self._policy.default_timezone

    async def _fail(self, source: SourceState, reason: str, error: Exception) -> SourceReport:
        now = self._clock()
        failures = source.consecutive_errors + 1
        disable_reason: str | None = None
        if isinstance(error, FeedHTTPError) and error.status == HTTP_GONE:
            disable_reason = f"the site says the source is gone for good: {reason}"
        elif should_disable(failures, self._policy.max_consecutive_errors):
            disable_reason = f"disabled after {failures} failures in a row; last: {reason}"
        retry_after = error.retry_after if isinstance(error, FeedHTTPError) else None
        log.warning("source %s failed (%d in a row): %s", source.name, failures, reason)
        await self._sources.record_failure(
            source.id,
            FetchFailure(
                now=now,
                next_fetch_at=next_fetch_after_failure(
                    now,
                    interval_seconds=source.interval_seconds,
                    consecutive_errors=failures,
                    retry_after_seconds=retry_after,
                ),
                error=reason,
                disable_reason=disable_reason,
            ),
        )
        return SourceReport(
            source.name, SourceStatus.ERROR, error=reason, disabled_reason=disable_reason
        )


def _first_fault(group: BaseExceptionGroup[StorageFault]) -> StorageFault:
    first = group.exceptions[0]
    return first if isinstance(first, StorageFault) else _first_fault(first)
