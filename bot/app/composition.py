"""The composition root: the one place that builds (and closes) every long-lived object.

``ingest_runtime`` assembles what ingesting needs; the Telegram side
(:mod:`bot.app.runtime`) builds on it. Nothing else in the project constructs a database,
an HTTP session or a parser pool.

Nothing here imports aiogram, the parsers or the tagger: ``regionews ingest`` imports this
module, and a pass where every source answers 304 needs none of them (the parser pool and
its modules are loaded on the first document to parse, see :class:`ParserOnDemand`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.config import Settings
from bot.domain.clock import Clock, system_clock
from bot.domain.models import DraftedFeed, HtmlSelectors, Region, Section, Topic
from bot.ingest.drafting import DraftContext
from bot.ingest.fetching import Fetcher, FetchLimits
from bot.ingest.ingestor import FeedDrafter, Ingestor, IngestPolicy
from bot.ingest.sources_file import KnownSlugs, SourcesFile, read_sources_file
from bot.reference import load_regions, load_sections, load_topics
from storage.database import Database
from storage.reference import ReferenceRepository

if TYPE_CHECKING:
    from bot.tagging.language import Language

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reference:
    regions: tuple[Region, ...]
    sections: tuple[Section, ...]
    topics: tuple[Topic, ...]

    def known_slugs(self) -> KnownSlugs:
        return KnownSlugs(
            regions={region.code for region in self.regions},
            sections={section.slug for section in self.sections},
            topics={topic.slug for topic in self.topics},
        )


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        timeout_seconds=settings.fetch_timeout,
        connect_timeout_seconds=settings.fetch_connect_timeout,
        max_bytes=settings.fetch_max_bytes,
        concurrency=settings.fetch_concurrency,
        per_host=settings.fetch_per_host,
        user_agent=settings.fetch_user_agent,
        allow_private_addresses=settings.fetch_allow_private,
        allowed=settings.fetch_allow_list(),
    )


def build_language(reference: Reference) -> Language:
    """The tagger and lemmatiser (a second or so to build: only the bot and ``tag`` do)."""
    from bot.tagging.language import Language  # noqa: PLC0415  (see the module docstring)

    return Language.build(reference.regions, reference.topics)


def load_reference() -> Reference:
    return Reference(load_regions(), load_sections(), load_topics())


def read_sources(path: Path, reference: Reference) -> tuple[Reference, SourcesFile]:
    """The sources file, and the reference data extended by the sections it declares."""
    sources_file = read_sources_file(path, reference.known_slugs())
    known = {section.slug for section in reference.sections}
    extra = tuple(section for section in sources_file.sections if section.slug not in known)
    return Reference(reference.regions, reference.sections + extra, reference.topics), (
        sources_file
    )


class ParserOnDemand:
    """A :class:`FeedDrafter` that starts the parser worker pool on the first document.

    Starting the pool costs a fork server and a process per worker, each importing the
    parsers and the tagger (0.5–1 s of wall time on this project's machine); a pass where
    every source answers 304 parses nothing and so starts nothing. The pool is closed by the
    ``stack`` it was entered into (the composition root's).
    """

    def __init__(self, settings: Settings, stack: AsyncExitStack, *, workers: int) -> None:
        self._settings = settings
        self._stack = stack
        self._workers = workers
        self._drafter: FeedDrafter | None = None
        self._starting = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._drafter is not None

    async def draft(
        self,
        body: bytes,
        *,
        url: str,
        http_charset: str | None,
        selectors: HtmlSelectors | None,
        context: DraftContext,
    ) -> DraftedFeed:
        drafter = self._drafter or await self._start()
        return await drafter.draft(
            body, url=url, http_charset=http_charset, selectors=selectors, context=context
        )

    async def _start(self) -> FeedDrafter:
        async with self._starting:  # the first documents of a pass arrive together
            if self._drafter is None:
                from bot.ingest.feeds import ParserPool  # noqa: PLC0415  (on demand: see above)
                from bot.ingest.worker_drafter import WorkerDrafter  # noqa: PLC0415

                pool = await self._stack.enter_async_context(
                    ParserPool(
                        workers=self._workers,
                        timeout_seconds=self._settings.parse_timeout,
                        memory_limit_mb=self._settings.parse_memory_mb,
                    )
                )
                self._drafter = WorkerDrafter(pool)
            return self._drafter


@dataclass(frozen=True, slots=True)
class IngestRuntime:
    settings: Settings
    database: Database
    reference: Reference
    fetcher: Fetcher
    parser: ParserOnDemand
    ingestor: Ingestor
    sources_file: SourcesFile


@asynccontextmanager
async def open_database(settings: Settings, reference: Reference) -> AsyncIterator[Database]:
    """Open the database (migrating it) with the reference data loaded; close it after."""
    database = await Database.open(settings.database_path)
    try:
        await ReferenceRepository(database).sync(
            reference.regions, reference.sections, reference.topics
        )
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def ingest_runtime(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[IngestRuntime]:
    """Everything an ingest pass needs, with the sources file synced into the database.

    Parsing, tagging and lemmatising happen in the parser worker processes (started on the
    first document to parse), so this process does not build the tagger.
    """
    reference, sources_file = read_sources(settings.sources_file, load_reference())
    limits = fetch_limits(settings)
    async with (
        open_database(settings, reference) as database,
        Fetcher.create_session(limits) as session,
        AsyncExitStack() as parser_stack,
    ):
        parser = ParserOnDemand(settings, parser_stack, workers=settings.parse_workers)
        fetcher = Fetcher(session, limits, clock=clock)
        ingestor = Ingestor(
            database=database,
            fetcher=fetcher,
            drafter=parser,
            regions=reference.regions,
            clock=clock,
            policy=IngestPolicy(
                default_interval_seconds=settings.default_interval,
                max_consecutive_errors=settings.max_consecutive_errors,
                default_timezone=settings.default_timezone,
                sources_in_flight=settings.fetch_concurrency,
            ),
        )
        await ingestor.sync_sources(sources_file)
        yield IngestRuntime(settings, database, reference, fetcher, parser, ingestor, sources_file)
