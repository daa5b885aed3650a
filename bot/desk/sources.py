"""The desk's source management: list, pause, resume, remove, fetch now, try and add a
source, import and export OPML. Every change is audited in the same write as the change.

Sources added here live in the database only (``origin = 'bot'``); the sources file sync
leaves them alone and refuses a file source with the same name (see README, «Sources added in
the bot»). One desk per process, built by the composition root.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.desk.opml import OpmlEntry, OpmlRefused, read_opml, write_opml
from bot.domain.clock import Clock
from bot.domain.errors import FeedAddressRefused
from bot.domain.models import SourceConfig, SourceKind, SourceState
from bot.ingest.checking import check_source
from bot.ingest.fetching.client import check_address
from bot.ingest.ingestor import FeedDrafter, FeedFetcher, Ingestor, SourceReport
from bot.ingest.schedule import first_fetch_offset
from bot.ingest.sources_file import KnownSlugs, parse_source
from storage import source_desk as units
from storage.database import Database
from storage.source_desk import Clash, RemoveRefused, SourceClash, SourceOverview

log = logging.getLogger(__name__)

RECENT = timedelta(hours=24)
"""The window of «new items» in the list."""
MAX_OPML_BYTES = 512 * 1024
"""The largest OPML file the desk reads (a thousand feeds take ~200 KB)."""
MAX_NAME_LENGTH = 64
PREVIEW_TITLES = 5

__all__ = [
    "MAX_OPML_BYTES",
    "Clash",
    "ImportReport",
    "NotFound",
    "OpmlRefused",
    "Preview",
    "Proposal",
    "ProposalInvalid",
    "RemoveRefused",
    "SkipReason",
    "Skipped",
    "SourceClash",
    "SourceDesk",
    "SourceOverview",
    "TakenError",
]


class NotFound(Exception):
    """No source has that id (removed meanwhile)."""


class ProposalInvalid(Exception):
    """A new source's settings break the sources file's rules; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TakenError(Exception):
    """A new source's name or address is taken."""

    def __init__(self, clash: SourceClash) -> None:
        super().__init__(clash)
        self.clash = clash


@dataclass(frozen=True, slots=True)
class Proposal:
    """A source an admin is adding, as the dialogue gathered it (plain JSON-able values)."""

    url: str
    name: str
    kind: SourceKind = SourceKind.RSS
    region: str | None = None
    section: str | None = None
    selectors: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What an ingest of a proposed source would store now."""

    items: int
    titles: tuple[str, ...]
    regions: tuple[tuple[str, int], ...]
    """Regions the tagger found, with how many items each, the most frequent first."""


class SkipReason(StrEnum):
    NO_ADDRESS = "no_address"
    INVALID = "invalid"
    NAME_TAKEN = "name_taken"
    ADDRESS_TAKEN = "address_taken"


@dataclass(frozen=True, slots=True)
class Skipped:
    label: str
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = field(default=())


def default_name(url: str) -> str:
    """A new source's name when the admin gives none: its host without ``www.``."""
    host = (urlsplit(url.strip()).hostname or url).removeprefix("www.")
    return host[:MAX_NAME_LENGTH]


class SourceDesk:
    def __init__(
        self,
        *,
        database: Database,
        ingestor: Ingestor,
        fetcher: FeedFetcher,
        drafter: FeedDrafter,
        known: KnownSlugs,
        region_zones: Mapping[str, str],
        default_interval: int,
        default_timezone: str,
        clock: Clock,
    ) -> None:
        self._db = database
        self._ingestor = ingestor
        self._fetcher = fetcher
        self._drafter = drafter
        self._known = known
        self._zones = dict(region_zones)
        self._default_interval = default_interval
        self._default_timezone = default_timezone
        self._clock = clock

    # reading -------------------------------------------------------------------------------

    async def overview(self) -> tuple[SourceOverview, ...]:
        """Every stored source by name, with its articles of the last 24 hours."""
        since = self._clock() - RECENT
        return await self._db.read(lambda connection: units.overview(connection, since=since))

    async def get(self, source_id: int) -> SourceState:
        found = await self._db.read(lambda connection: units.by_id(connection, source_id))
        if found is None:
            raise NotFound(source_id)
        return found

    # changing ------------------------------------------------------------------------------

    async def pause(self, source_id: int, *, actor_id: int) -> SourceState:
        """Pause: not fetched until resumed (apart from an admin's «fetch now»)."""
        now = self._clock()
        change = await self._db.write(
            lambda connection: units.pause(connection, source_id, actor_id=actor_id, now=now)
        )
        return _after(change)

    async def resume(self, source_id: int, *, actor_id: int) -> SourceState:
        """Unpause, and enable it if errors had disabled it; fetched at the next pass."""
        now = self._clock()
        change = await self._db.write(
            lambda connection: units.resume(connection, source_id, actor_id=actor_id, now=now)
        )
        return _after(change)

    async def remove(self, source_id: int, *, actor_id: int) -> SourceState | RemoveRefused:
        """Delete a source added in the bot (or dropped from the file); its articles stay.
        A source of the sources file is refused (the sync would bring it back)."""
        now = self._clock()
        outcome = await self._db.write(
            lambda connection: units.remove(connection, source_id, actor_id=actor_id, now=now)
        )
        if outcome is None:
            raise NotFound(source_id)
        if isinstance(outcome, RemoveRefused):
            return outcome
        return outcome.before

    async def fetch_now(self, source_id: int, *, actor_id: int) -> SourceReport:
        """One ingest of the source through the ingestor, now, whatever its schedule or
        state; its result is stored like any pass's and audited.

        :class:`storage.database.StorageFault` is raised for the database's own failure.
        """
        source = await self.get(source_id)
        report = await self._ingestor.ingest(source)
        outcome: dict[str, object] = {
            "status": report.status.value,
            "new": report.new,
            "updated": report.updated,
            "error": report.error,
            "disabled_reason": report.disabled_reason,
        }
        now = self._clock()
        await self._db.write(
            lambda connection: units.record_fetch_now(
                connection, source_id, actor_id=actor_id, outcome=outcome, now=now
            )
        )
        return report

    # adding --------------------------------------------------------------------------------

    def check_url(self, url: str) -> str:
        """The address as it will be fetched; :class:`ProposalInvalid` saying why not."""
        if not url.strip().lower().startswith(("http://", "https://")):
            raise ProposalInvalid("the address must start with http:// or https://")
        try:
            return check_address(url)
        except FeedAddressRefused as refused:
            raise ProposalInvalid(refused.reason) from None

    async def taken(self, name: str, url: str) -> SourceClash | None:
        return await self._db.read(lambda connection: units.clash(connection, name, url))

    def config(self, proposal: Proposal) -> SourceConfig:
        """The proposal checked by the sources file's rules; :class:`ProposalInvalid`."""
        if not proposal.name.strip() or len(proposal.name) > MAX_NAME_LENGTH:
            raise ProposalInvalid(f"the name must be 1 to {MAX_NAME_LENGTH} characters")
        raw: dict[str, Any] = {"name": proposal.name, "url": proposal.url}
        raw["kind"] = proposal.kind.value
        if proposal.region is not None:
            raw["region"] = proposal.region
        if proposal.section is not None:
            raw["section"] = proposal.section
        if proposal.selectors is not None:
            raw["html"] = dict(proposal.selectors)
        try:
            return parse_source(raw, self._known)
        except ValueError as error:
            raise ProposalInvalid(str(error)) from None

    async def preview(self, proposal: Proposal) -> Preview:
        """Fetch and parse the proposed source, store nothing: what it would give now.
        Raises :class:`ProposalInvalid` or :class:`bot.domain.errors.FeedError`."""
        config = self.config(proposal)
        drafts = await check_source(
            config.url,
            kind=config.kind,
            selectors=config.html,
            region=config.region,
            timezone=config.timezone
            or self._zones.get(config.region or "", self._default_timezone),
            fetcher=self._fetcher,
            drafter=self._drafter,
            clock=self._clock,
        )
        regions = Counter(code for draft in drafts for code in draft.regions)
        return Preview(
            items=len(drafts),
            titles=tuple(draft.title for draft in drafts[:PREVIEW_TITLES]),
            regions=tuple(regions.most_common()),
        )

    async def add(self, proposal: Proposal, *, actor_id: int) -> SourceState:
        """Store the source (first fetch within a minute); :class:`TakenError` if its name or
        address is taken meanwhile, :class:`ProposalInvalid`."""
        config = self.config(proposal)
        now = self._clock()
        interval = config.interval_seconds or self._default_interval
        first = now + min(first_fetch_offset(config.name, interval), timedelta(minutes=1))
        added = await self._db.write(
            lambda connection: units.add(
                connection,
                config,
                actor_id=actor_id,
                default_interval=self._default_interval,
                first_fetch_at=first,
                now=now,
            )
        )
        if isinstance(added, SourceClash):
            raise TakenError(added)
        log.info("source %s added in the bot by %d", added.name, actor_id)
        return added

    # OPML ----------------------------------------------------------------------------------

    async def import_opml(self, data: bytes, *, actor_id: int) -> ImportReport:
        """Add the feeds of an OPML file; each one the rules refuse, or whose name or address
        is taken, is skipped with the reason. Raises :class:`OpmlRefused` for a file that is
        too big, broken or hostile (nothing is added then)."""
        if len(data) > MAX_OPML_BYTES:
            raise OpmlRefused(f"the file is over {MAX_OPML_BYTES // 1024} KB")
        entries = await asyncio.to_thread(read_opml, data)
        skipped: list[tuple[int, Skipped]] = []  # by position in the file
        configs: list[SourceConfig] = []
        positions: list[int] = []
        for position, entry in enumerate(entries):
            outcome = self._entry_config(entry)
            if isinstance(outcome, Skipped):
                skipped.append((position, outcome))
            else:
                configs.append(outcome)
                positions.append(position)
        now = self._clock()
        planned = [
            (
                config,
                now
                + first_fetch_offset(
                    config.name, config.interval_seconds or self._default_interval
                ),
            )
            for config in configs
        ]
        results = await self._db.write(
            lambda connection: units.add_many(
                connection,
                planned,
                actor_id=actor_id,
                default_interval=self._default_interval,
                now=now,
            )
        )
        added: list[str] = []
        for position, config, result in zip(positions, configs, results, strict=True):
            if isinstance(result, SourceClash):
                reason = (
                    SkipReason.NAME_TAKEN
                    if result.clash is Clash.NAME
                    else SkipReason.ADDRESS_TAKEN
                )
                skipped.append((position, Skipped(config.name, reason, result.existing)))
            else:
                added.append(result.name)
        log.info("OPML import by %d: %d added, %d skipped", actor_id, len(added), len(skipped))
        skipped.sort(key=lambda item: item[0])
        return ImportReport(tuple(added), tuple(item for _position, item in skipped))

    def _entry_config(self, entry: OpmlEntry) -> SourceConfig | Skipped:
        label = entry.name or entry.url or f"#{entry.line}"
        if not entry.url:
            return Skipped(label, SkipReason.NO_ADDRESS)
        raw: dict[str, Any] = {
            "name": (entry.name or default_name(entry.url))[:MAX_NAME_LENGTH],
            "url": entry.url,
        }
        for key, value in (
            ("kind", entry.kind),
            ("region", entry.region),
            ("section", entry.section),
            ("html", entry.selectors),
        ):
            if value is not None:
                raw[key] = value
        if entry.topics:
            raw["topics"] = list(entry.topics)
        if entry.interval_seconds is not None:
            raw["interval"] = entry.interval_seconds
        try:
            return parse_source(raw, self._known)
        except ValueError as error:
            return Skipped(label, SkipReason.INVALID, str(error))

    async def export_opml(self) -> bytes:
        """Every source in use (file and bot) as OPML, by name."""
        overview = await self.overview()
        return write_opml(tuple(item.source for item in overview if item.in_use))


def _after(change: units.Change | None) -> SourceState:
    if change is None or change.after is None:
        raise NotFound
    return change.after
