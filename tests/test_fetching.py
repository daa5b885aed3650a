"""Stories of fetching feeds from a real HTTP server on loopback, and the rules behind them."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict

from bot.domain.clock import ManualClock
from bot.domain.errors import (
    ConfigError,
    FeedAddressRefused,
    FeedHTTPError,
    FeedTimeout,
    FeedTooLarge,
    FeedUnreachable,
)
from bot.ingest.fetching import Fetcher, FetchLimits
from bot.ingest.fetching.address_guard import AllowList, host_name_problem, refusal_reason
from bot.ingest.fetching.freshness import fresh_until, retry_after_seconds
from bot.ingest.fetching.limits import describe_size
from bot.ingest.fetching.slots import HostSlots
from tests.web_stand import (  # web_stand_fixture provides the `web_stand` fixture
    WebStand,
    closed_port_url,
    trickling,
    web_stand_fixture,  # noqa: F401
)

RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Новости</title></channel></rss>'
NOW = datetime(2024, 5, 21, 9, 0, tzinfo=UTC)
LOOPBACK = FetchLimits(allow_private_addresses=True)
PUBLIC_IP = "93.184.216.34"


@asynccontextmanager
async def fetcher_for(
    limits: FetchLimits = LOOPBACK, clock: ManualClock | None = None
) -> AsyncIterator[Fetcher]:
    """A fetcher on its own session, as the composition root builds them."""
    async with Fetcher.create_session(limits) as session:
        yield Fetcher(session, limits, clock=clock or ManualClock(NOW))


def http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- conditional GET ----------------------------------------------------------------------


async def test_a_feed_is_fetched_then_answered_not_modified(web_stand: WebStand) -> None:
    modified = "Tue, 21 May 2024 08:00:00 GMT"
    web_stand.add("/feed.xml", RSS, etag='"v1"', last_modified=modified)
    async with fetcher_for() as fetcher:
        first = await fetcher.fetch(web_stand.url("/feed.xml"))
        seen = web_stand.last_headers("/feed.xml")
        assert seen["User-Agent"] == LOOPBACK.user_agent
        assert seen["Accept"].startswith("application/rss+xml, application/atom+xml")
        assert seen["Accept-Encoding"] == "gzip, deflate"
        assert "If-None-Match" not in seen
        assert "If-Modified-Since" not in seen
        assert first.not_modified is False
        assert first.body.decode() == RSS
        assert (first.etag, first.last_modified) == ('"v1"', modified)
        assert (first.content_type, first.charset) == ("application/rss+xml", "utf-8")
        assert first.url == web_stand.url("/feed.xml")
        assert first.permanent_redirect is None

        second = await fetcher.fetch(
            web_stand.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified
        )
        seen = web_stand.last_headers("/feed.xml")
        assert seen["If-None-Match"] == '"v1"'
        assert seen["If-Modified-Since"] == modified
        assert second.not_modified is True
        assert second.body == b""
        assert (second.etag, second.last_modified) == ('"v1"', modified)
    assert web_stand.hits("/feed.xml") == 2


async def test_a_bare_304_keeps_the_validators_we_had(web_stand: WebStand) -> None:
    async def bare_304(request: web.Request) -> web.StreamResponse:
        return web.Response(status=304)

    web_stand.add_handler("/feed.xml", bare_304)
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(
            web_stand.url("/feed.xml"), etag='"v7"', last_modified="Mon, 20 May 2024 10:00:00 GMT"
        )
    assert result.not_modified
    assert (result.etag, result.last_modified) == ('"v7"', "Mon, 20 May 2024 10:00:00 GMT")


async def test_a_validator_with_a_line_break_is_not_sent(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", RSS)
    async with fetcher_for() as fetcher:
        await fetcher.fetch(web_stand.url("/feed.xml"), etag='"v1"\r\nX-Evil: 1')
    assert "If-None-Match" not in web_stand.last_headers("/feed.xml")
    assert "X-Evil" not in web_stand.last_headers("/feed.xml")


async def test_no_content_type_means_no_charset(web_stand: WebStand) -> None:
    web_stand.add("/plain", b"<rss/>", content_type="application/xml")
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/plain"))
    assert (result.content_type, result.charset) == ("application/xml", None)


# --- redirects ----------------------------------------------------------------------------


async def test_a_chain_of_permanent_redirects_gives_the_new_address(web_stand: WebStand) -> None:
    web_stand.add_redirect("/old.rss", "/older.rss", status=301)
    web_stand.add_redirect("/older.rss", "news/feed.xml", status=308)  # relative Location
    web_stand.add("/news/feed.xml", RSS)
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/old.rss"))
    assert result.body.decode() == RSS
    assert result.url == web_stand.url("/news/feed.xml")
    assert result.permanent_redirect == web_stand.url("/news/feed.xml")


@pytest.mark.parametrize(
    ("first", "second"), [(302, None), (307, None), (303, None), (301, 302), (302, 301)]
)
async def test_a_temporary_redirect_keeps_the_address(
    web_stand: WebStand, first: int, second: int | None
) -> None:
    web_stand.add_redirect("/a", "/b" if second else "/feed.xml", status=first)
    if second:
        web_stand.add_redirect("/b", "/feed.xml", status=second)
    web_stand.add("/feed.xml", RSS)
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/a"))
    assert result.url == web_stand.url("/feed.xml")
    assert result.permanent_redirect is None


async def test_a_redirect_loop_stops_after_max_redirects(web_stand: WebStand) -> None:
    web_stand.add_redirect("/loop", "/loop", status=302)
    async with fetcher_for(FetchLimits(allow_private_addresses=True, max_redirects=3)) as f:
        with pytest.raises(FeedHTTPError, match="more than 3 redirects") as caught:
            await f.fetch(web_stand.url("/loop"))
    assert caught.value.status == 302
    assert web_stand.hits("/loop") == 4


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://example.org/feed"])
async def test_a_redirect_out_of_the_web_is_refused(web_stand: WebStand, location: str) -> None:
    web_stand.add_redirect("/feed.xml", location)
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedAddressRefused, match="only http and https"):
            await fetcher.fetch(web_stand.url("/feed.xml"))


async def test_a_redirect_without_location_is_an_error(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", status=302)
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedHTTPError, match="HTTP 302 Found: a redirect without an address"):
            await fetcher.fetch(web_stand.url("/feed.xml"))


# --- freshness and back-off ---------------------------------------------------------------


async def test_max_age_sets_fresh_until_by_our_clock(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", RSS, headers={"Cache-Control": "public, max-age=600"})
    async with fetcher_for(clock=ManualClock(NOW)) as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"))
    assert result.fresh_until == NOW + timedelta(minutes=10)


async def test_expires_counts_from_the_servers_date(web_stand: WebStand) -> None:
    server_now = NOW - timedelta(hours=3)  # the server's clock is three hours behind
    headers = {
        "Date": http_date(server_now),
        "Expires": http_date(server_now + timedelta(hours=1)),
    }
    web_stand.add("/feed.xml", RSS, headers=headers)
    async with fetcher_for(clock=ManualClock(NOW)) as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"))
    assert result.fresh_until == NOW + timedelta(hours=1)


async def test_a_304_carries_freshness_too(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", RSS, etag='"a"', headers={"Cache-Control": "max-age=60"})
    async with fetcher_for(clock=ManualClock(NOW)) as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"), etag='"a"')
    assert result.not_modified
    assert result.fresh_until == NOW + timedelta(seconds=60)


async def test_too_many_requests_says_when_to_come_back(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", "slow down", status=429, headers={"Retry-After": "120"})
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedHTTPError) as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)
    assert caught.value.reason.startswith("HTTP 429 Too Many Requests:")


async def test_unavailable_with_a_retry_date(web_stand: WebStand) -> None:
    retry = {"Retry-After": http_date(NOW + timedelta(minutes=5))}
    web_stand.add("/feed.xml", "maintenance", status=503, headers=retry)
    async with fetcher_for(clock=ManualClock(NOW)) as fetcher:
        with pytest.raises(FeedHTTPError) as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert (caught.value.status, caught.value.retry_after) == (503, 300.0)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (404, "HTTP 404 Not Found: the address does not exist (any more)"),
        (410, "HTTP 410 Gone: the address was removed for good"),
        (401, "HTTP 401 Unauthorized: the server refuses access"),
        (403, "HTTP 403 Forbidden: the server refuses access"),
        (500, "HTTP 500 Internal Server Error: the server had an error"),
        (599, "HTTP 599: the server had an error"),
    ],
)
async def test_error_answers_are_told_in_words(
    web_stand: WebStand, status: int, reason: str
) -> None:
    web_stand.add("/feed.xml", "no", status=status, headers={"Retry-After": "5"})
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedHTTPError) as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert (caught.value.reason, caught.value.status) == (reason, status)
    assert caught.value.retry_after is None


# --- size cap -----------------------------------------------------------------------------

SMALL = FetchLimits(allow_private_addresses=True, max_bytes=1024 * 1024)


async def test_a_declared_oversized_body_is_refused(web_stand: WebStand) -> None:
    web_stand.add("/big.xml", b"x" * (SMALL.max_bytes + 1))
    async with fetcher_for(SMALL) as fetcher:
        with pytest.raises(FeedTooLarge, match="^the body is larger than 1 MB$"):
            await fetcher.fetch(web_stand.url("/big.xml"))


async def test_an_endless_chunked_body_stops_at_the_cap(web_stand: WebStand) -> None:
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):  # up to 6.4 MB, far past the cap
            await response.write(b"x" * 65536)
            sent += 65536
        await response.write_eof()
        return response

    web_stand.add_handler("/endless", endless)
    async with fetcher_for(SMALL) as fetcher:
        with pytest.raises(FeedTooLarge):
            await fetcher.fetch(web_stand.url("/endless"))
    assert sent < 100 * 65536


async def test_a_gzip_bomb_stops_at_the_cap_in_little_memory(web_stand: WebStand) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(50)) + packer.flush()
    assert len(bomb) < 100_000  # 50 MB of zeros
    web_stand.add("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    async with fetcher_for(SMALL) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(FeedTooLarge):
                await fetcher.fetch(web_stand.url("/bomb.xml"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * SMALL.max_bytes


async def test_a_gzipped_feed_arrives_unpacked(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", RSS, gzip=True)
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"))
    assert result.body == RSS.encode()


# --- deadlines and connection failures ----------------------------------------------------


async def test_a_trickling_server_fails_at_the_deadline(web_stand: WebStand) -> None:
    web_stand.add_handler("/trickle", trickling(interval=0.2, size=100))
    limits = FetchLimits(allow_private_addresses=True, timeout_seconds=1.0)
    async with fetcher_for(limits) as fetcher:
        started = time.monotonic()
        with pytest.raises(FeedTimeout, match="^no complete answer within 1 s$"):
            await fetcher.fetch(web_stand.url("/trickle"))
        assert 0.9 < time.monotonic() - started < 1.5


async def test_a_closed_port_is_unreachable() -> None:
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedUnreachable, match="refused the connection"):
            await fetcher.fetch(closed_port_url("/feed.xml"))


async def test_a_name_that_does_not_resolve_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_such_name(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_such_name)
    async with fetcher_for(FetchLimits()) as fetcher:
        with pytest.raises(FeedUnreachable, match="host name news.example could not be found"):
            await fetcher.fetch("http://news.example/rss")


# --- addresses ----------------------------------------------------------------------------


async def test_loopback_is_refused_unless_allowed(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", RSS)
    async with fetcher_for(FetchLimits()) as fetcher:
        with pytest.raises(FeedAddressRefused) as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert caught.value.reason == (
        "address 127.0.0.1 is on a private network; list it in FETCH_ALLOW_HOSTS or set"
        " FETCH_ALLOW_PRIVATE=true to allow it"
    )
    assert web_stand.hits("/feed.xml") == 0


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("file:///etc/passwd", "only http and https addresses can be fetched, not «file:»"),
        ("ftp://example.org/feed.xml", "not «ftp:»"),
        ("news.example/rss", "not an address without a scheme"),
        ("http:///rss", "has no host name"),
        ("http://example.org:99999/rss", "is not a valid web address"),
        ("http://[::1/rss", "is not a valid web address"),
    ],
)
async def test_addresses_that_are_not_on_the_web_are_refused(address: str, words: str) -> None:
    async with fetcher_for(FetchLimits()) as fetcher:
        with pytest.raises(FeedAddressRefused, match=words):
            await fetcher.fetch(address)


class _PinnedResolver(AbstractResolver):
    """Sends every name to the stand on 127.0.0.1, as a public server's DNS would not."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


def _public_dns(monkeypatch: pytest.MonkeyPatch, *, then: str | None = None) -> None:
    """The guard's look-ups of ``news.example`` answer a public address (then ``then``)."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    answers = [PUBLIC_IP]

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "news.example":
            return await real(host, port, *args, **kwargs)
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    if then is not None:
        answers.append(then)
    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


async def test_a_public_feed_redirecting_into_the_private_network_is_refused(
    web_stand: WebStand, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public_dns(monkeypatch)
    web_stand.add_redirect("/feed.xml", web_stand.url("/admin"), status=302)
    web_stand.add("/admin", "secrets")
    limits = FetchLimits()
    connector = aiohttp.TCPConnector(resolver=_PinnedResolver())
    async with aiohttp.ClientSession(connector=connector) as session:
        fetcher = Fetcher(session, limits)
        with pytest.raises(FeedAddressRefused, match="address 127.0.0.1 is on a private"):
            await fetcher.fetch(f"http://news.example:{web_stand.port}/feed.xml")
    assert web_stand.hits("/feed.xml") == 1
    assert web_stand.hits("/admin") == 0


async def test_a_name_that_changes_its_answer_is_refused_at_connect(
    web_stand: WebStand, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public_dns(monkeypatch, then="127.0.0.1")  # DNS rebinding
    web_stand.add("/feed.xml", RSS)
    async with fetcher_for(FetchLimits()) as fetcher:
        with pytest.raises(FeedAddressRefused, match="address 127.0.0.1 is on a private"):
            await fetcher.fetch(f"http://news.example:{web_stand.port}/feed.xml")
    assert web_stand.hits("/feed.xml") == 0


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    reason = refusal_reason(ipaddress.ip_address(address))
    assert reason == (
        f"address {address} is on a private network; list it in FETCH_ALLOW_HOSTS or set"
        " FETCH_ALLOW_PRIVATE=true to allow it"
    )


@pytest.mark.parametrize(
    ("mapped", "shown"), [("::ffff:127.0.0.1", "127.0.0.1"), ("::ffff:a00:1", "10.0.0.1")]
)
def test_ipv4_hidden_in_ipv6_is_refused(mapped: str, shown: str) -> None:
    reason = refusal_reason(ipaddress.ip_address(mapped))
    assert reason is not None
    assert reason.startswith(f"address {shown} is on a private network")


@pytest.mark.parametrize("address", [PUBLIC_IP, "77.88.55.88", "2a02:6b8::2:242"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


# --- concurrency --------------------------------------------------------------------------


class _Gauge:
    """A handler that counts requests in flight and remembers the most at once."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.now = 0
        self.most = 0

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.now -= 1
        return web.Response(body=RSS.encode(), content_type="application/rss+xml")


async def test_no_more_than_per_host_requests_reach_one_host(web_stand: WebStand) -> None:
    gauge = _Gauge(pause=0.05)
    web_stand.add_handler("/feed.xml", gauge)
    limits = FetchLimits(allow_private_addresses=True, per_host=2)
    async with aiohttp.ClientSession() as session:  # no connector limits: only the fetcher's
        fetcher = Fetcher(session, limits)
        await asyncio.gather(*(fetcher.fetch(web_stand.url("/feed.xml")) for _ in range(6)))
    assert (gauge.most, web_stand.hits("/feed.xml")) == (2, 6)


async def test_no_more_than_concurrency_requests_overall(web_stand: WebStand) -> None:
    gauge = _Gauge(pause=0.05)
    web_stand.add_handler("/feed.xml", gauge)
    limits = FetchLimits(allow_private_addresses=True, per_host=10, concurrency=3)
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, limits)
        await asyncio.gather(*(fetcher.fetch(web_stand.url("/feed.xml")) for _ in range(7)))
    assert gauge.most == 3


async def test_waiting_behind_a_busy_host_does_not_spend_the_deadline(
    web_stand: WebStand,
) -> None:
    web_stand.add_handler("/feed.xml", _Gauge(pause=0.3))
    limits = FetchLimits(allow_private_addresses=True, per_host=1, timeout_seconds=0.5)
    async with fetcher_for(limits) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(web_stand.url("/feed.xml")) for _ in range(3))
        )
    assert all(result.body == RSS.encode() for result in results)


async def test_the_host_table_forgets_idle_hosts() -> None:
    slots = HostSlots(per_host=1)
    async with slots.hold("a.example"), slots.hold("b.example"):
        assert len(slots) == 2
        waiter = asyncio.create_task(slots.acquire("a.example"))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert len(slots) == 0


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "max-age=300"}, NOW + timedelta(minutes=5)),
        ({"Cache-Control": 'max-age="300"'}, NOW + timedelta(minutes=5)),
        ({"Cache-Control": "max-age=300", "Age": "100"}, NOW + timedelta(minutes=200 / 60)),
        ({"Cache-Control": "s-maxage=900"}, None),
        ({"Cache-Control": "s-maxage=900, max-age=60"}, NOW + timedelta(minutes=1)),
        ({"Cache-Control": "no-cache, max-age=300"}, None),
        ({"Cache-Control": "no-store"}, None),
        ({"Cache-Control": "max-age=0"}, None),
        ({"Cache-Control": "max-age=soon"}, None),
        ({"Cache-Control": "max-age=99999999999"}, NOW + timedelta(days=365)),
        ({"Expires": http_date(NOW + timedelta(hours=2))}, NOW + timedelta(hours=2)),
        ({"Expires": "0"}, None),
        ({"Expires": http_date(NOW - timedelta(hours=2))}, None),
        (
            {"Cache-Control": "max-age=60", "Expires": http_date(NOW + timedelta(days=1))},
            NOW + timedelta(minutes=1),
        ),
        ({}, None),
    ],
)
def test_fresh_until(headers: dict[str, str], expected: datetime | None) -> None:
    assert fresh_until(CIMultiDict(headers), NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        (http_date(NOW + timedelta(minutes=2)), 120.0),
        (http_date(NOW - timedelta(minutes=2)), 0.0),
        ("later", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    ("size", "words"),
    [(10 * 1024 * 1024, "10 MB"), (1536 * 1024, "1.5 MB"), (2048, "2 KB"), (500, "500 bytes")],
)
def test_sizes_in_words(size: int, words: str) -> None:
    assert describe_size(size) == words


@pytest.mark.parametrize(
    "changes", [{"timeout_seconds": 0}, {"max_bytes": 0}, {"per_host": 0}, {"max_redirects": -1}]
)
def test_nonsense_limits_are_a_config_error(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        FetchLimits(**changes)


# --- hostile but harmless answers ---------------------------------------------------------

_YEAR = timedelta(days=365)


@pytest.mark.parametrize(
    ("headers", "fresh", "retry_after"),
    [
        ({"Cache-Control": "max-age=" + "9" * 20}, NOW + _YEAR, None),
        ({"Cache-Control": "max-age=" + "9" * 5000}, NOW + _YEAR, None),
        ({"Cache-Control": "max-age=²"}, None, None),
        ({"Cache-Control": "max-age=١٢٠"}, None, None),  # Arabic-Indic digits
        ({"Cache-Control": "max-age=60", "Age": "9" * 20}, None, None),
        ({"Expires": "Fri, 31 Dec 9999 23:59:59 -1400"}, None, None),
        ({"Expires": "Mon, 01 Jan 0001 00:00:00 +1400"}, None, None),
        (
            {
                "Expires": http_date(NOW + timedelta(hours=1)),
                "Date": "Fri, 31 Dec 9999 23:59:59 -1400",
            },
            NOW + timedelta(hours=1),
            None,
        ),
        ({"Retry-After": "²"}, None, None),
        ({"Retry-After": "9" * 20}, None, _YEAR.total_seconds()),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 -1400"}, None, None),
    ],
)
async def test_caching_headers_we_cannot_use_promise_nothing_and_keep_the_body(
    web_stand: WebStand,
    headers: dict[str, str],
    fresh: datetime | None,
    retry_after: float | None,
) -> None:
    web_stand.add("/feed.xml", RSS, headers=headers)
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"))
    assert result.body.decode() == RSS
    assert result.fresh_until == fresh
    assert result.retry_after_seconds == retry_after


async def test_a_304_with_a_hostile_retry_after_is_still_not_modified(
    web_stand: WebStand,
) -> None:
    web_stand.add("/feed.xml", RSS, etag='"v1"', headers={"Retry-After": "²", "Age": "9" * 30})
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch(web_stand.url("/feed.xml"), etag='"v1"')
    assert result.not_modified
    assert result.retry_after_seconds is None


async def test_a_429_with_an_unreadable_retry_after_is_an_http_error(web_stand: WebStand) -> None:
    web_stand.add("/feed.xml", "slow down", status=429, headers={"Retry-After": "9" * 40})
    async with fetcher_for() as fetcher:
        with pytest.raises(FeedHTTPError, match="HTTP 429") as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert caught.value.retry_after == _YEAR.total_seconds()


_LONG_LABEL = "a" * 64


@pytest.mark.parametrize("limits", [LOOPBACK, FetchLimits()])
async def test_a_host_name_part_over_63_characters_is_refused(limits: FetchLimits) -> None:
    async with fetcher_for(limits) as fetcher:
        with pytest.raises(FeedAddressRefused, match="longer than 63 characters"):
            await fetcher.fetch(f"http://{_LONG_LABEL}.example/rss")


@pytest.mark.parametrize(
    "limits", [LOOPBACK, FetchLimits(allowed=AllowList.parse(["127.0.0.0/8"]))]
)
@pytest.mark.parametrize(
    ("location", "words"),
    [
        (f"http://{_LONG_LABEL}.example/rss", "longer than 63 characters"),
        (f"http://{'a.' * 127}example/rss", "longer than 253 characters"),
        ("http://news..example/rss", "has an empty part"),
    ],
)
async def test_a_redirect_to_a_host_name_no_resolver_takes_is_refused(
    web_stand: WebStand, limits: FetchLimits, location: str, words: str
) -> None:
    web_stand.add_redirect("/feed.xml", location, status=302)
    async with fetcher_for(limits) as fetcher:
        with pytest.raises(FeedAddressRefused, match=words) as caught:
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert caught.value.reason.startswith(f"the address {location[:40]}")
    assert web_stand.hits("/feed.xml") == 1


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("news.example", None),
        ("news.example.", None),
        ("a" * 63 + ".example", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("a" * 64 + ".example", "longer than 63 characters"),
        (".".join(["a" * 63] * 4) + ".x", "longer than 253 characters"),
        ("news..example", "has an empty part"),
        ("", "no host name"),
    ],
)
def test_host_names_a_resolver_cannot_take(host: str, problem: str | None) -> None:
    found = host_name_problem(host)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("2002:7f00:1::", "127.0.0.1"),  # 6to4
        ("2002:a00:1::1", "10.0.0.1"),
        ("2002:a9fe:a9fe::", "169.254.169.254"),
        ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64, well-known prefix
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("64:ff9b::c0a8:101", "192.168.1.1"),
        ("64:ff9b:1::a00:1", "64:ff9b:1::a00:1"),  # local-use NAT64: private as a whole
    ],
)
def test_private_ipv4_inside_6to4_and_nat64_is_refused(address: str, shown: str) -> None:
    reason = refusal_reason(ipaddress.ip_address(address))
    assert reason is not None
    assert reason.startswith(f"address {shown} is on a private network")


@pytest.mark.parametrize("address", ["2002:5db8:d822::1", "64:ff9b::5db8:d822"])
def test_public_ipv4_inside_6to4_and_nat64_passes(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


# --- FETCH_ALLOW_HOSTS --------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["127.0.0.0/8", "127.0.0.1", "localhost", "LOCALHOST."])
async def test_an_allowed_host_or_network_is_fetched_though_private(
    web_stand: WebStand, entry: str
) -> None:
    web_stand.add("/feed.xml", RSS)
    limits = FetchLimits(allowed=AllowList.parse([entry]))
    host = "localhost" if "localhost" in entry.lower() else "127.0.0.1"
    async with fetcher_for(limits) as fetcher:
        result = await fetcher.fetch(f"http://{host}:{web_stand.port}/feed.xml")
    assert result.body.decode() == RSS


@pytest.mark.parametrize("entry", ["10.1.2.0/24", "intranet.local", "127.0.0.2"])
async def test_the_allow_list_opens_the_guard_for_nothing_else(
    web_stand: WebStand, entry: str
) -> None:
    web_stand.add("/feed.xml", RSS)
    async with fetcher_for(FetchLimits(allowed=AllowList.parse([entry]))) as fetcher:
        with pytest.raises(FeedAddressRefused, match="address 127.0.0.1 is on a private"):
            await fetcher.fetch(web_stand.url("/feed.xml"))
    assert web_stand.hits("/feed.xml") == 0


async def test_an_allowed_host_redirecting_to_another_private_address_is_refused(
    web_stand: WebStand,
) -> None:
    web_stand.add_redirect("/feed.xml", web_stand.url("/admin"), status=302)  # 127.0.0.1
    web_stand.add("/admin", "secrets")
    async with fetcher_for(FetchLimits(allowed=AllowList.parse(["localhost"]))) as fetcher:
        with pytest.raises(FeedAddressRefused, match="address 127.0.0.1 is on a private"):
            await fetcher.fetch(f"http://localhost:{web_stand.port}/feed.xml")
    assert web_stand.hits("/feed.xml") == 1
    assert web_stand.hits("/admin") == 0


def test_an_allowed_network_covers_its_6to4_and_nat64_forms() -> None:
    allowed = AllowList.parse(["10.1.2.0/24"])
    assert allowed.refusal(ipaddress.ip_address("10.1.2.3")) is None
    assert allowed.refusal(ipaddress.ip_address("2002:a01:203::1")) is None
    assert allowed.refusal(ipaddress.ip_address("64:ff9b::a01:203")) is None
    assert allowed.refusal(ipaddress.ip_address("10.1.3.1")) is not None


@pytest.mark.parametrize(
    ("entries", "hosts", "networks"),
    [
        (["intranet.local", " 10.1.2.0/24 "], {"intranet.local"}, ["10.1.2.0/24"]),
        (["Intranet.Local.", ""], {"intranet.local"}, []),
        (["10.1.2.3"], set(), ["10.1.2.3/32"]),
        (["fd00::/8", "[::1]"], set(), ["fd00::/8", "::1/128"]),
        (["новости.рф"], {"xn--b1amnebsh.xn--p1ai"}, []),
    ],
)
def test_allow_list_entries(entries: list[str], hosts: set[str], networks: list[str]) -> None:
    allowed = AllowList.parse(entries)
    assert allowed.hosts == hosts
    assert [str(network) for network in allowed.networks] == networks


@pytest.mark.parametrize("entry", ["10.1.2.0/33", "10.1.2/24", "bad host", "a..b", "x" * 64])
def test_allow_list_entries_that_are_neither_host_nor_network(entry: str) -> None:
    with pytest.raises(ValueError, match="neither a host name nor a network|is not a network"):
        AllowList.parse([entry])
