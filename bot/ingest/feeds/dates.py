"""Dates as feeds and Russian news pages write them.

``parse_date`` reads ISO 8601, RFC 822 and Russian forms («21 мая 2024», «3 января 2025 г.»,
«май 2024», «21 мая 2024, 14:30», «21.05.2024 14:30»), or follows a ``strptime`` format in
which ``%B``/``%b`` also match Russian month names in any case. Relative words («сегодня,
14:30», «вчера») and dates without a year need the injected ``now``. A date comes back aware
when the text gave an offset and naive otherwise; garbage gives None, never an exception.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

_MONTH_WORD = r"(янв|фев|мар|апр|ма[йяе]|июн|июл|авг|сен|окт|ноя|дек)[а-яё]*"
_RU_MONTH = re.compile(r"(?<![а-яё])" + _MONTH_WORD, re.IGNORECASE)
_TIME = r"(?:\s*(?:,|\bв\b)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_RU_TEXT_DATE = re.compile(
    r"(?<!\d)(?:(\d{1,2})\s+)?(?<![а-яё])" + _MONTH_WORD + r"\.?(?:\s+(\d{4}))?"
    r"(?:\s*(?:г\.|года|г\b))?" + _TIME,
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)" + _TIME)
_RELATIVE_DATE = re.compile(r"(сегодня|вчера|позавчера)" + _TIME, re.IGNORECASE)
_DAYS_BACK = {"сегодня": 0, "вчера": 1, "позавчера": 2}
_MAX_TEXT = 200
_PARSE_ERRORS = (ValueError, OverflowError, TypeError, IndexError)


def parse_date(
    text: str, *, date_format: str | None = None, now: datetime | None = None
) -> datetime | None:
    """The moment ``text`` names, or None if it names none.

    With ``date_format`` the text is read by ``strptime`` first (Russian month names stand
    for ``%B``/``%b``); if that fails, the formats listed in the module docstring are tried.
    """
    flat = " ".join(text.split())[:_MAX_TEXT]
    if not flat:
        return None
    try:
        if date_format:
            parsed = _parse_with_format(flat, date_format)
            if parsed is not None:
                return parsed
        return _parse_iso(flat) or _parse_rfc822(flat) or _parse_russian(flat, now)
    except _PARSE_ERRORS:
        return None


def month_number(word: str) -> int | None:
    """1..12 for a Russian month name in any case or abbreviation («мая», «янв»), else None."""
    match = _RU_MONTH.fullmatch(word.strip().rstrip("."))
    return _month_of(match.group(1)) if match else None


def _month_of(stem: str) -> int:
    stem = stem.lower()
    if stem.startswith("ма") and stem != "мар":
        return 5
    return ("янв", "фев", "мар", "апр", "", "июн", "июл", "авг", "сен", "окт", "ноя", "дек").index(
        stem
    ) + 1


def _parse_with_format(text: str, date_format: str) -> datetime | None:
    numeric, count = _RU_MONTH.subn(lambda m: f"{_month_of(m.group(1)):02d}", text)
    if count:
        date_format = date_format.replace("%B", "%m").replace("%b", "%m")
    try:
        # Naive on purpose unless the format has %z: the page did not say its zone.
        return datetime.strptime(numeric, " ".join(date_format.split()))  # noqa: DTZ007
    except _PARSE_ERRORS:
        return None


def _parse_iso(text: str) -> datetime | None:
    if len(text) < 10 or text[4] != "-" or not text[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_rfc822(text: str) -> datetime | None:
    if not any(ch.isascii() and ch.isalpha() for ch in text):
        return None  # RFC 822 names the month in English
    try:
        return parsedate_to_datetime(text)
    except _PARSE_ERRORS:
        return None


def _parse_russian(text: str, now: datetime | None) -> datetime | None:
    match = _NUMERIC_DATE.search(text)
    if match:
        day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return _at(day, match.group(4, 5, 6), None)
    match = _RU_TEXT_DATE.search(text)
    if match and (match.group(3) or (match.group(1) and now is not None)):
        return _from_text_match(match, now)
    match = _RELATIVE_DATE.search(text)
    if match and now is not None:
        day = now.date() - timedelta(days=_DAYS_BACK[match.group(1).lower()])
        return _at(day, match.group(2, 3, 4), now)
    return None


def _from_text_match(match: re.Match[str], now: datetime | None) -> datetime:
    day_text, stem, year_text = match.group(1, 2, 3)
    month = _month_of(stem)
    if year_text:
        return _at(date(int(year_text), month, int(day_text or 1)), match.group(4, 5, 6), None)
    assert now is not None  # checked by the caller: a day and month without a year need it
    day = date(now.year, month, int(day_text))
    if day > now.date() + timedelta(days=1):  # «28 декабря» read on 2 January
        day = date(now.year - 1, month, int(day_text))
    return _at(day, match.group(4, 5, 6), now)


def _at(day: date, clock: tuple[str | None, ...], now: datetime | None) -> datetime:
    hour, minute, second = (int(part) if part else 0 for part in clock)
    tzinfo = now.tzinfo if now is not None else None
    return datetime.combine(day, time(hour, minute, second), tzinfo=tzinfo)
