"""What /stats shows: subscriber, delivery and source figures, and a per-day series.

Counted by :mod:`storage.stats` (its docstring says exactly what each figure means), shown by
:mod:`handlers.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class StateCounts:
    active: int = 0
    paused: int = 0
    blocked: int = 0

    @property
    def total(self) -> int:
        return self.active + self.paused + self.blocked


@dataclass(frozen=True, slots=True)
class KeyCounts:
    """Subscribers of one region / section / topic (``key`` ``""``: any)."""

    key: str
    counts: StateCounts


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class Reason:
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class SourceActivity:
    name: str
    articles: int


@dataclass(frozen=True, slots=True)
class FailingSource:
    name: str
    consecutive_errors: int
    last_error: str | None
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    subscribers: int
    deliveries: int


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    at: datetime
    subscribers: StateCounts
    by_region: tuple[KeyCounts, ...]
    by_section: tuple[KeyCounts, ...]
    by_topic: tuple[KeyCounts, ...]
    last_day: DeliveryCounts
    last_week: DeliveryCounts
    waiting: int
    failure_reasons: tuple[Reason, ...]
    busiest_sources: tuple[SourceActivity, ...]
    failing_sources: tuple[FailingSource, ...]
    series: tuple[DayPoint, ...]
