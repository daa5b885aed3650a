"""Dates as feeds and Russian news pages write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from bot.ingest.feeds.dates import month_number, parse_date

MSK = timezone(timedelta(hours=3))
NOW = datetime(2025, 1, 2, 10, 0, tzinfo=MSK)


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time without a zone, as a page that gives no offset means it."""
    return datetime.combine(date(year, month, day), time(hour, minute))


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("21 мая 2024", "%d %B %Y", naive(2024, 5, 21)),
        ("21 МАЯ 2024", "%d %B %Y", naive(2024, 5, 21)),
        ("3 января 2025 г.", "%d %B %Y г.", naive(2025, 1, 3)),
        ("май 2024", "%B %Y", naive(2024, 5, 1)),
        ("Сентябрь 2024", "%B %Y", naive(2024, 9, 1)),
        ("21 мая 2024, 14:30", "%d %b %Y, %H:%M", naive(2024, 5, 21, 14, 30)),
        ("7 дек. 2024", "%d %b. %Y", naive(2024, 12, 7)),
        ("21.05.2024", "%d.%m.%Y", naive(2024, 5, 21)),
        ("Mar 5 2024", "%b %d %Y", naive(2024, 3, 5)),
        ("2024-05-21 14:30 +0300", "%Y-%m-%d %H:%M %z", datetime(2024, 5, 21, 14, 30, tzinfo=MSK)),
    ],
)
def test_a_format_reads_russian_month_names(
    text: str, date_format: str, expected: datetime
) -> None:
    assert parse_date(text, date_format=date_format) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21 мая 2024", naive(2024, 5, 21)),
        ("3 января 2025 г.", naive(2025, 1, 3)),
        ("3 января 2025 года", naive(2025, 1, 3)),
        ("май 2024", naive(2024, 5, 1)),
        ("в мае 2024", naive(2024, 5, 1)),
        ("21 мая 2024, 14:30", naive(2024, 5, 21, 14, 30)),
        ("21 мая 2024 в 14:30", naive(2024, 5, 21, 14, 30)),
        ("Опубликовано: 21.05.2024 14:30", naive(2024, 5, 21, 14, 30)),
        ("2024-05-21", naive(2024, 5, 21)),
        ("2024-05-21T14:30:00", naive(2024, 5, 21, 14, 30)),
        ("2024-05-21T14:30:00+03:00", datetime(2024, 5, 21, 14, 30, tzinfo=MSK)),
        ("2024-05-21T11:30:00Z", datetime(2024, 5, 21, 11, 30, tzinfo=UTC)),
        ("Tue, 21 May 2024 14:30:00 +0300", datetime(2024, 5, 21, 14, 30, tzinfo=MSK)),
        ("Tue, 21 May 2024 11:30:00 GMT", datetime(2024, 5, 21, 11, 30, tzinfo=UTC)),
    ],
)
def test_common_forms_parse_without_a_format(text: str, expected: datetime) -> None:
    parsed = parse_date(text)

    assert parsed == expected
    assert parsed is not None and (parsed.tzinfo is None) == (expected.tzinfo is None)


def test_a_format_that_does_not_fit_falls_back_to_the_known_forms() -> None:
    assert parse_date("21 мая 2024", date_format="%Y-%m-%d") == naive(2024, 5, 21)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сегодня, 14:30", datetime(2025, 1, 2, 14, 30, tzinfo=MSK)),
        ("Вчера в 09:05", datetime(2025, 1, 1, 9, 5, tzinfo=MSK)),
        ("позавчера", datetime(2024, 12, 31, tzinfo=MSK)),
        ("28 декабря, 09:15", datetime(2024, 12, 28, 9, 15, tzinfo=MSK)),
        ("2 января", datetime(2025, 1, 2, tzinfo=MSK)),
    ],
)
def test_relative_dates_need_the_injected_now(text: str, expected: datetime) -> None:
    assert parse_date(text, now=NOW) == expected
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text",
    ["", " ", "garbage", "мая", "99 мая 2024", "31.02.2024", "2024-13-45", "\x00\xff", "9" * 500],
)
def test_garbage_gives_none(text: str) -> None:
    assert parse_date(text) is None
    assert parse_date(text, date_format="%d %B %Y") is None


@pytest.mark.parametrize(
    ("word", "number"),
    [
        ("января", 1),
        ("Февраль", 2),
        ("марта", 3),
        ("АПР", 4),
        ("мая", 5),
        ("май", 5),
        ("июня", 6),
        ("июль", 7),
        ("августа", 8),
        ("сент.", 9),
        ("октября", 10),
        ("ноября", 11),
        ("декабрь", 12),
        ("понедельник", None),
    ],
)
def test_month_number(word: str, number: int | None) -> None:
    assert month_number(word) == number
