"""The catalogue of choices a reader sees: regions, sections and topics, in display order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.domain.clock import Clock, system_clock
from bot.domain.models import Region, Section, Topic
from storage.database import Database
from storage.reference import ReferenceRepository

PINNED_REGIONS = ("RU-IRK", "RU-LIP")
"""Regions shown first even before they have news: the publishers we start with."""
FEDERAL_DISTRICTS = (
    "Центральный",
    "Северо-Западный",
    "Южный",
    "Северо-Кавказский",
    "Приволжский",
    "Уральский",
    "Сибирский",
    "Дальневосточный",
)
COUNTS_FRESH_FOR = timedelta(minutes=1)
"""How long the per-region article counts that order the region keyboard are reused."""


class Catalog:
    def __init__(
        self,
        *,
        database: Database,
        regions: tuple[Region, ...],
        sections: tuple[Section, ...],
        topics: tuple[Topic, ...],
        clock: Clock = system_clock,
    ) -> None:
        self._reference = ReferenceRepository(database)
        self._clock = clock
        self._ranking: tuple[datetime, tuple[Region, ...]] | None = None
        self.regions: Mapping[str, Region] = {region.code: region for region in regions}
        self.sections: Mapping[str, Section] = {section.slug: section for section in sections}
        self.topics: Mapping[str, Topic] = {topic.slug: topic for topic in topics}
        self._by_district: Mapping[str, tuple[Region, ...]] = {
            district: tuple(
                sorted(
                    (region for region in regions if region.federal_district == district),
                    key=lambda region: region.name,
                )
            )
            for district in {region.federal_district for region in regions}
        }

    async def regions_with_news(self, limit: int = 12) -> tuple[Region, ...]:
        """The pinned regions, then those with the most articles (ranked afresh at most
        once every :data:`COUNTS_FRESH_FOR`)."""
        now = self._clock()
        if self._ranking is None or now - self._ranking[0] >= COUNTS_FRESH_FOR:
            counts = await self._reference.region_article_counts()
            ranked = sorted(
                (code for code in counts if code in self.regions and code not in PINNED_REGIONS),
                key=lambda code: (-counts[code], self.regions[code].name),
            )
            codes = [code for code in PINNED_REGIONS if code in self.regions] + ranked
            self._ranking = (now, tuple(self.regions[code] for code in codes))
        return self._ranking[1][:limit]

    def districts(self) -> tuple[str, ...]:
        return tuple(district for district in FEDERAL_DISTRICTS if district in self._by_district)

    def regions_in(self, district: str) -> tuple[Region, ...]:
        """The district's regions by name (worked out once: the reference does not change)."""
        return self._by_district.get(district, ())
