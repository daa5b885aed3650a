"""What the server says about freshness and waiting: pure arithmetic over headers.

A header the bot cannot use is no promise, never an error: numbers are ASCII digits only
(``max-age=²`` is ignored), clamped to a year, and a date that cannot be read or placed in
UTC (``Expires: … 9999 23:59:59 -1400``) counts as absent. A hostile server therefore cannot
make a good body fail by what it says about caching.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from multidict import MultiMapping

_LONGEST = timedelta(days=365)  # a server cannot make us wait longer than this
_LONGEST_SECONDS = int(_LONGEST.total_seconds())
_MOST_DIGITS = 12  # longer numbers are clamped without being converted


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``) as aware UTC, or None if unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
        if moment.tzinfo is None:  # "-0000": HTTP dates are always GMT
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)  # year 9999 at -1400 is past datetime.max in UTC
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def cache_directives(headers: MultiMapping[str]) -> dict[str, str | None]:
    """``Cache-Control: no-cache, max-age="60"`` → ``{"no-cache": None, "max-age": "60"}``."""
    directives: dict[str, str | None] = {}
    for header in headers.getall("Cache-Control", []):
        for part in header.split(","):
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            if name:
                directives[name] = value.strip().strip('"') if sep else None
    return directives


def header_seconds(value: str | None) -> int | None:
    """A delta-seconds header value (``"300"``) clamped to a year; None unless ASCII digits."""
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()):  # "²".isdigit() and int("١٢") == 12
        return None
    if len(value.lstrip("0")) > _MOST_DIGITS:
        return _LONGEST_SECONDS
    return min(int(value), _LONGEST_SECONDS)


def fresh_until(headers: MultiMapping[str], now: datetime) -> datetime | None:
    """Until when the answer stays fresh, per ``Cache-Control`` and ``Expires``.

    ``no-store``/``no-cache`` mean no promise at all; ``max-age`` (less ``Age``) wins over
    ``Expires``; ``Expires`` is taken relative to the server's ``Date`` when it sent one, so a
    server with a wrong clock still gets the lifetime it meant. ``s-maxage`` is for shared
    caches and ignored. Returns None when nothing (or only the past) was promised.
    """
    directives = cache_directives(headers)
    if "no-store" in directives or "no-cache" in directives:
        return None
    max_age = header_seconds(directives.get("max-age"))
    if max_age is not None:
        lifetime = timedelta(seconds=max_age - (header_seconds(headers.get("Age")) or 0))
    else:
        expires = parse_http_date(headers.get("Expires"))
        if expires is None:
            return None
        lifetime = expires - (parse_http_date(headers.get("Date")) or now)
    if lifetime <= timedelta(0):
        return None
    try:
        return now + min(lifetime, _LONGEST)
    except OverflowError:  # a clock near datetime.max: no promise
        return None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) as seconds from ``now``; None if absent."""
    if value is None:
        return None
    seconds = header_seconds(value)
    if seconds is not None:
        return float(seconds)
    moment = parse_http_date(value)
    if moment is None:
        return None
    return min(max((moment - now).total_seconds(), 0.0), _LONGEST.total_seconds())
