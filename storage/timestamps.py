"""How times are stored: UTC text ``YYYY-MM-DDTHH:MM:SSZ``, which sorts as it reads."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(UTC).strftime(_FORMAT)


def to_db_optional(moment: datetime | None) -> str | None:
    return None if moment is None else to_db(moment)


def from_db(text: str) -> datetime:
    # fromisoformat is C code; strptime asks the C library for the locale on every call.
    return datetime.fromisoformat(text).astimezone(UTC)


def from_db_optional(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def utc_now() -> datetime:
    """Only for bookkeeping columns such as ``applied_at``; services pass their clock's time."""
    return datetime.now(UTC)
