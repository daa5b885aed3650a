"""The parser pool: hostile documents cost one call, never the bot.

Each story sends something nasty through a real pool of worker processes and checks that
only that call fails, with the right error and a reason an admin can read, quickly, while
the pool keeps serving. The jobs at the top are test-only: a hang, a memory hog, a crash.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import cast

import pytest

from bot.domain.errors import FeedError, FeedMalformed, FeedTimeout, FeedTooLarge, FeedUnsafe
from bot.domain.models import HtmlSelectors, ParsedFeed
from bot.ingest.feeds.feed_parser import ENTITY_REASON, parse_feed
from bot.ingest.feeds.worker import ParseFunction, ParserPool

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
URL = "https://prom.example.ru/rss"
MEMORY_LIMIT_MB = 256
TIMEOUT_SECONDS = 1.0
QUICKLY = 3.0  # seconds: what "fails fast" means here, with room for a slow CI machine


# Test-only jobs, built from functions every worker has already imported, so a job starts at
# once: the pool runs any picklable callable it is given.
HANG: Callable[[], ParsedFeed] = cast(Callable[[], ParsedFeed], partial(time.sleep, 60))
HOG_MEMORY = cast(ParseFunction, partial(bytearray, 4 << 30))  # 4 GiB, far past the limit
CRASH = cast(ParseFunction, partial(os.abort))
FAIL_UNEXPECTEDLY = cast(ParseFunction, partial(int, "not a number"))
REFUSE = cast(
    ParseFunction, partial(parse_feed, b"<!DOCTYPE a [<!ENTITY b 'c'>]><a/>", url="http://x/")
)


def quadratic_blowup() -> bytes:
    entity = "a" * 100_000
    references = "&a;" * 20_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{entity}">]>'
        f"<rss><channel><title>{references}</title></channel></rss>"
    ).encode()


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        "<rss><channel><title>&lol9;</title></channel></rss>"
    ).encode()


def external_entity() -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&xxe;</title><link>/a</link></item></channel></rss>"
    )


@pytest.fixture
async def pool() -> AsyncIterator[ParserPool]:
    async with ParserPool(
        workers=2, timeout_seconds=TIMEOUT_SECONDS, memory_limit_mb=MEMORY_LIMIT_MB
    ) as started:
        yield started


async def still_serves(pool: ParserPool) -> None:
    """Both workers answer a good feed after whatever happened before."""
    body = (FIXTURES / "ru_rss.xml").read_bytes()
    feeds = await asyncio.gather(*(pool.parse_feed(body, url=URL) for _ in range(4)))
    assert all(len(feed.items) == 3 for feed in feeds)


async def test_a_feed_is_parsed_in_a_worker(pool: ParserPool) -> None:
    feed = await pool.parse_feed((FIXTURES / "koi8r_nodecl.xml").read_bytes(), url=URL)

    assert feed.items[0].title == "Как пережить новогоднюю ночь"


async def test_a_news_page_is_parsed_in_a_worker(pool: ParserPool) -> None:
    selectors = HtmlSelectors(item="div.news-item", title=".news-item__title")

    feed = await pool.parse_html_list(
        (FIXTURES / "ru_news_list.html").read_bytes(),
        url="https://export.example.ru/press/news/",
        selectors=selectors,
    )

    assert len(feed.items) == 3


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (quadratic_blowup(), FeedUnsafe, "declares its own XML entities"),
        (billion_laughs(), FeedUnsafe, "declares its own XML entities"),
        (external_entity(), FeedUnsafe, "declares its own XML entities"),
        (random.Random(1).randbytes(64 << 10), FeedMalformed, "binary data, not a feed"),
        (b"", FeedMalformed, "the response is empty"),
        (b"<!DOCTYPE html><html></html>", FeedMalformed, "HTML page, not a feed"),
    ],
    ids=["quadratic-blowup", "billion-laughs", "external-entity", "garbage", "empty", "html"],
)
async def test_a_hostile_document_fails_only_its_own_call(
    pool: ParserPool, body: bytes, error: type[FeedError], reason: str
) -> None:
    started = time.monotonic()

    with pytest.raises(error, match=reason) as caught:
        await pool.parse_feed(body, url=URL)

    assert type(caught.value) is error
    assert time.monotonic() - started < QUICKLY
    await still_serves(pool)


async def test_a_parse_past_the_timeout_is_killed_and_others_carry_on(pool: ParserPool) -> None:
    body = (FIXTURES / "ru_rss.xml").read_bytes()
    started = time.monotonic()

    hung, parsed = await asyncio.gather(
        pool.run(HANG), pool.parse_feed(body, url=URL), return_exceptions=True
    )

    assert isinstance(hung, FeedTimeout)
    assert hung.reason == "parsing took longer than 1 s"
    assert isinstance(parsed, ParsedFeed) and len(parsed.items) == 3
    assert time.monotonic() - started < QUICKLY
    await still_serves(pool)


async def test_the_event_loop_keeps_running_while_a_worker_is_busy(pool: ParserPool) -> None:
    hung = asyncio.ensure_future(pool.run(HANG))
    started = time.monotonic()
    for _ in range(10):
        await asyncio.sleep(0.01)

    assert time.monotonic() - started < 0.5
    with pytest.raises(FeedTimeout):
        await hung


async def test_a_parse_over_the_memory_limit_fails_with_too_large(pool: ParserPool) -> None:
    started = time.monotonic()

    with pytest.raises(FeedTooLarge, match=f"parsing needed more than {MEMORY_LIMIT_MB} MB"):
        await pool.run(HOG_MEMORY)

    assert time.monotonic() - started < QUICKLY
    await still_serves(pool)


async def test_a_dead_worker_is_replaced_and_the_caller_told(pool: ParserPool) -> None:
    with pytest.raises(FeedMalformed, match="stopped by signal SIGABRT.*restarted"):
        await pool.run(CRASH)

    await still_serves(pool)


async def test_feed_errors_come_back_with_their_type_and_reason(pool: ParserPool) -> None:
    with pytest.raises(FeedUnsafe) as caught:
        await pool.run(REFUSE)

    assert type(caught.value) is FeedUnsafe
    assert caught.value.reason == ENTITY_REASON


async def test_a_bug_in_a_parser_is_reported_as_malformed(pool: ParserPool) -> None:
    with pytest.raises(FeedMalformed, match=r"the parser failed on this document \(ValueError\)"):
        await pool.run(FAIL_UNEXPECTEDLY)

    await still_serves(pool)


async def test_a_cancelled_call_does_not_lose_a_worker(pool: ParserPool) -> None:
    hung = asyncio.ensure_future(pool.run(HANG))
    await asyncio.sleep(0.1)
    hung.cancel()

    with pytest.raises(asyncio.CancelledError):
        await hung
    await still_serves(pool)


async def test_the_pool_must_be_started_first() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await ParserPool().parse_feed(b"<rss/>", url=URL)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        ParserPool(workers=0)
