"""The command line's words for an idle pass and a check, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app.reports import IdleSummary, check_header_text, idle_json, idle_text

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (IdleSummary(0, 0), "No sources to ingest: add [[source]] entries to the sources file."),
        (IdleSummary(3, 0), "3 sources, all disabled: see regionews sources for why"),
        (
            IdleSummary(6, 5, "irkutsk", datetime(2026, 12, 4, 16, 5, tzinfo=UTC)),
            "6 sources, none due; the next at 16:05 UTC (irkutsk)",
        ),
        (
            IdleSummary(1, 1, "kuzbass", datetime(2026, 12, 6, 9, 30, tzinfo=UTC)),
            "1 source, none due; the next at 2026-12-06 09:30 UTC (kuzbass)",
        ),
        (IdleSummary(2, 2), "2 sources, none due"),
    ],
)
def test_an_idle_pass_says_why_nothing_was_fetched(summary: IdleSummary, expected: str) -> None:
    assert idle_text(summary, now=NOW) == expected


def test_the_idle_json_line_says_the_same() -> None:
    at = datetime(2026, 12, 4, 16, 5, tzinfo=UTC)
    assert idle_json(IdleSummary(6, 5, "irkutsk", at)) == {
        "sources": 6,
        "enabled": 5,
        "due": 0,
        "next_source": "irkutsk",
        "next_fetch_at": "2026-12-04T16:05:00+00:00",
    }


@pytest.mark.parametrize(
    ("items", "expected"),
    [(0, "0 items would be"), (1, "1 item would be"), (2, "2 items would be")],
)
def test_check_counts_its_items_in_words(items: int, expected: str) -> None:
    url = "https://x.example/rss"
    assert check_header_text(url, items) == f"{url}: {expected} ingested"
