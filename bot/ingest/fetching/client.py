"""The fetcher: one conditional GET, redirects followed by hand, every limit enforced."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import hdrs
from yarl import URL

from bot.domain.clock import Clock, system_clock
from bot.domain.errors import FeedAddressRefused, FeedTimeout, FeedTooLarge
from bot.domain.models import FetchResult
from bot.ingest.fetching.address_guard import GuardedResolver, check_host, host_name_problem
from bot.ingest.fetching.failures import connection_failure, shown
from bot.ingest.fetching.freshness import fresh_until, retry_after_seconds
from bot.ingest.fetching.limits import FetchLimits, describe_seconds, describe_size
from bot.ingest.fetching.slots import HostSlots
from bot.ingest.fetching.statuses import http_error, redirect_error

logger = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_BACKOFF_STATUSES = frozenset({429, 503})
_CHUNK_BYTES = 64 * 1024


class Fetcher:
    """Fetches addresses for many concurrent callers, within :class:`FetchLimits`.

    The session is owned (created with :meth:`create_session` and closed) by the
    composition root; the fetcher only borrows it.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        limits: FetchLimits,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self._session = session
        self._limits = limits
        self._clock = clock
        self._in_flight = asyncio.Semaphore(limits.concurrency)
        self._hosts = HostSlots(limits.per_host)

    @staticmethod
    def create_session(limits: FetchLimits) -> aiohttp.ClientSession:
        """A session fit for fetching feeds; call inside the running loop and close it."""
        connector = aiohttp.TCPConnector(
            limit=limits.concurrency,
            limit_per_host=limits.per_host,
            resolver=None if limits.allow_private_addresses else GuardedResolver(limits.allowed),
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=_client_timeout(limits),
            cookie_jar=aiohttp.DummyCookieJar(),  # one source's cookies never reach another
            headers={hdrs.USER_AGENT: limits.user_agent},
            auto_decompress=True,
        )

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally when validators are given) and return what came back.

        Raises a :class:`~bot.domain.errors.FeedError` subclass with a plain-words ``reason``.
        """
        target = _parse_address(url)
        headers = self._request_headers(etag, last_modified)
        limits = self._limits
        async with self._in_flight:
            try:
                async with asyncio.timeout(limits.timeout_seconds) as deadline:
                    return await self._follow(
                        target, headers, deadline, etag=etag, last_modified=last_modified
                    )
            except TimeoutError as exc:
                raise FeedTimeout(
                    f"no complete answer within {describe_seconds(limits.timeout_seconds)}"
                ) from exc

    def _request_headers(self, etag: str | None, last_modified: str | None) -> dict[str, str]:
        headers: dict[str, str] = {
            hdrs.USER_AGENT: self._limits.user_agent,
            hdrs.ACCEPT: ACCEPT,
            hdrs.ACCEPT_ENCODING: ACCEPT_ENCODING,
        }
        if etag and etag.isprintable():
            headers[hdrs.IF_NONE_MATCH] = etag
        if last_modified and last_modified.isprintable():
            headers[hdrs.IF_MODIFIED_SINCE] = last_modified
        return headers

    async def _follow(
        self,
        url: URL,
        headers: dict[str, str],
        deadline: asyncio.Timeout,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        """Request ``url``, following up to ``max_redirects`` redirects, each hop checked."""
        hops = 0
        all_permanent = True
        while True:
            host = url.raw_host or ""
            if not self._limits.allow_private_addresses:
                await check_host(host, url.port or 0, self._limits.allowed)
            async with self._host_slot(host.lower(), deadline):
                try:
                    async with self._session.get(
                        url,
                        headers=headers,
                        allow_redirects=False,
                        timeout=_client_timeout(self._limits),
                    ) as response:
                        if response.status not in _REDIRECTS:
                            moved = url if hops and all_permanent else None
                            return await self._complete(
                                response, url, moved, etag=etag, last_modified=last_modified
                            )
                        next_url = _redirect_target(response, url)
                        hops += 1
                        all_permanent = all_permanent and response.status in _PERMANENT
                        if hops > self._limits.max_redirects:
                            raise redirect_error(
                                response.status,
                                response.reason,
                                f"more than {self._limits.max_redirects} redirects",
                            )
                        logger.debug("%s redirects (%d) to %s", url, response.status, next_url)
                        url = next_url
                except aiohttp.ClientError as exc:
                    raise connection_failure(
                        exc, url, connect_timeout=self._limits.connect_timeout_seconds
                    ) from exc

    @asynccontextmanager
    async def _host_slot(self, host: str, deadline: asyncio.Timeout) -> AsyncIterator[None]:
        """Hold a slot for ``host``; time spent queueing for it does not count."""
        async with _paused(deadline):
            await self._hosts.acquire(host)
        try:
            yield
        finally:
            self._hosts.release(host)

    async def _complete(
        self,
        response: aiohttp.ClientResponse,
        url: URL,
        moved: URL | None,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        """Turn the final answer into a result or an error."""
        now = self._clock()
        headers = response.headers
        status = response.status
        retry_after = retry_after_seconds(headers.get(hdrs.RETRY_AFTER), now)
        if status == 304:
            return FetchResult(
                url=str(url),
                not_modified=True,
                etag=headers.get(hdrs.ETAG) or etag,
                last_modified=headers.get(hdrs.LAST_MODIFIED) or last_modified,
                permanent_redirect=_str_or_none(moved),
                fresh_until=fresh_until(headers, now),
                retry_after_seconds=retry_after,
            )
        if not 200 <= status < 300:
            raise http_error(
                status,
                response.reason,
                retry_after=retry_after if status in _BACKOFF_STATUSES else None,
            )
        body = await self._read_body(response)
        has_type = hdrs.CONTENT_TYPE in headers
        return FetchResult(
            url=str(url),
            not_modified=False,
            body=body,
            charset=response.charset if has_type else None,
            content_type=response.content_type if has_type else None,
            etag=headers.get(hdrs.ETAG),
            last_modified=headers.get(hdrs.LAST_MODIFIED),
            permanent_redirect=_str_or_none(moved),
            fresh_until=fresh_until(headers, now),
            retry_after_seconds=retry_after,
        )

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        """Read the decompressed body chunk by chunk, stopping as soon as it passes the cap."""
        cap = self._limits.max_bytes
        too_large = f"the body is larger than {describe_size(cap)}"
        if response.content_length is not None and response.content_length > cap:
            raise FeedTooLarge(too_large)
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
            body += chunk
            if len(body) > cap:
                raise FeedTooLarge(too_large)
        return bytes(body)


@asynccontextmanager
async def _paused(deadline: asyncio.Timeout) -> AsyncIterator[None]:
    """Stop ``deadline`` from running for the duration of the ``async with`` body."""
    when = deadline.when()
    if when is None or deadline.expired():
        yield
        return
    loop = asyncio.get_running_loop()
    remaining = when - loop.time()
    deadline.reschedule(None)
    try:
        yield
    finally:
        if not deadline.expired():
            deadline.reschedule(loop.time() + remaining)


def _client_timeout(limits: FetchLimits) -> aiohttp.ClientTimeout:
    # The overall deadline is an asyncio.timeout around the whole fetch (redirects included).
    return aiohttp.ClientTimeout(total=None, sock_connect=limits.connect_timeout_seconds)


def _str_or_none(url: URL | None) -> str | None:
    return None if url is None else str(url)


def _check_scheme_and_host(url: URL, display: str) -> URL:
    if url.scheme not in ("http", "https"):
        scheme = f"«{url.scheme}:»" if url.scheme else "an address without a scheme"
        raise FeedAddressRefused(f"only http and https addresses can be fetched, not {scheme}")
    if not url.raw_host:
        raise FeedAddressRefused(f"the address {display} has no host name")
    problem = host_name_problem(url.raw_host)
    if problem is not None:  # the IDNA codec would raise UnicodeError at the look-up
        raise FeedAddressRefused(f"the address {display} cannot be fetched: {problem}")
    return url.with_fragment(None)


def check_address(raw: str) -> str:
    """``raw`` as the fetcher will request it, or :class:`FeedAddressRefused` saying why not.

    The same rules as :meth:`Fetcher.fetch` applies before any connection: http(s), a valid
    port, a host name that can be looked up. Private addresses are judged only at fetch time.
    """
    return str(_parse_address(raw))


def _parse_address(raw: str) -> URL:
    """The address to fetch, or :class:`FeedAddressRefused` saying what is wrong with it."""
    display = shown(raw)
    try:
        url = URL(raw.strip())
        _ = url.port  # yarl checks the port lazily
    except (ValueError, TypeError) as exc:
        raise FeedAddressRefused(f"{display} is not a valid web address") from exc
    return _check_scheme_and_host(url, display)


def _redirect_target(response: aiohttp.ClientResponse, url: URL) -> URL:
    """Where a redirect points, resolved against ``url``; refused if not http(s)."""
    location = response.headers.get(hdrs.LOCATION)
    if not location:
        raise redirect_error(response.status, response.reason, "a redirect without an address")
    try:
        target = url.join(URL(location))
        _ = target.port
    except (ValueError, TypeError) as exc:
        raise redirect_error(
            response.status,
            response.reason,
            f"a redirect to an invalid address {shown(location)}",
        ) from exc
    return _check_scheme_and_host(target, shown(location))
