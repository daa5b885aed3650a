"""The composition root: the one place that builds (and closes) every long-lived object.

``ingest_runtime`` assembles what ingesting needs; the Telegram side
(:mod:`bot.app.runtime`) builds on it. Nothing else in the project constructs a database,
an HTTP session or a parser pool.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.app.config import Settings
from bot.domain.clock import Clock, system_clock
from bot.domain.models import Region, Section, Topic
from bot.ingest.feeds import ParserPool
from bot.ingest.fetching import Fetcher, FetchLimits
from bot.ingest.ingestor import Ingestor, IngestPolicy
from bot.ingest.sources_file import KnownSlugs, SourcesFile, read_sources_file
from bot.ingest.worker_drafter import WorkerDrafter
from bot.reference import load_regions, load_sections, load_topics
from bot.tagging.language import Language
from storage.database import Database
from storage.reference import ReferenceRepository

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


@dataclass(frozen=True, slots=True)
class IngestRuntime:
    settings: Settings
    database: Database
    reference: Reference
    fetcher: Fetcher
    parser: ParserPool
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

    Parsing, tagging and lemmatising happen in the parser worker processes, so this process
    does not build the tagger.
    """
    reference, sources_file = read_sources(settings.sources_file, load_reference())
    limits = fetch_limits(settings)
    async with (
        open_database(settings, reference) as database,
        Fetcher.create_session(limits) as session,
        ParserPool(
            workers=settings.parse_workers,
            timeout_seconds=settings.parse_timeout,
            memory_limit_mb=settings.parse_memory_mb,
        ) as parser,
    ):
        fetcher = Fetcher(session, limits, clock=clock)
        ingestor = Ingestor(
            database=database,
            fetcher=fetcher,
            drafter=WorkerDrafter(parser),
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
