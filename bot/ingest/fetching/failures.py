"""Connection failures in words: which :class:`FeedError` an aiohttp exception becomes."""

from __future__ import annotations

import errno

import aiohttp
from yarl import URL

from bot.domain.errors import FeedAddressRefused, FeedError, FeedTimeout, FeedUnreachable
from bot.ingest.fetching.address_guard import AddressRefusedError
from bot.ingest.fetching.limits import describe_seconds

_SHOWN_CHARS = 200  # how much of a bad address goes into a reason

# First match wins, so subclasses come before their bases.
_WORDS: tuple[tuple[type[aiohttp.ClientError], type[FeedError], str], ...] = (
    (
        aiohttp.ConnectionTimeoutError,
        FeedUnreachable,
        "{host} did not accept a connection within {connect}",
    ),
    (aiohttp.ServerTimeoutError, FeedTimeout, "{host} stopped sending data"),
    (
        aiohttp.ClientConnectorCertificateError,
        FeedUnreachable,
        "the TLS certificate of {host} is not valid",
    ),
    (aiohttp.ClientSSLError, FeedUnreachable, "a secure (TLS) connection to {host} failed"),
    (aiohttp.ClientConnectorError, FeedUnreachable, "could not connect to {host}: {detail}"),
    (aiohttp.InvalidURL, FeedAddressRefused, "{address} is not a valid web address"),
    (
        aiohttp.ServerDisconnectedError,
        FeedUnreachable,
        "{host} closed the connection without a complete answer",
    ),
    (
        aiohttp.ClientPayloadError,
        FeedUnreachable,
        "the answer from {host} was cut off or badly compressed",
    ),
    (aiohttp.ClientResponseError, FeedUnreachable, "{host} sent an answer that is not HTTP"),
    (aiohttp.ClientOSError, FeedUnreachable, "the connection to {host} broke: {detail}"),
)


def shown(text: str) -> str:
    """``text`` cut to a length fit for a reason."""
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def connection_failure(exc: aiohttp.ClientError, url: URL, *, connect_timeout: float) -> FeedError:
    """The :class:`FeedError` for ``exc``, raised while fetching ``url``."""
    host = url.host or shown(str(url))
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, AddressRefusedError):
            return FeedAddressRefused(exc.os_error.reason)
        return FeedUnreachable(f"the host name {host} could not be found")
    if isinstance(exc, aiohttp.ClientConnectorError) and exc.os_error.errno == errno.ECONNREFUSED:
        return FeedUnreachable(f"{host} refused the connection on port {url.port}")
    for kind, error, words in _WORDS:
        if isinstance(exc, kind):
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return error(
                words.format(
                    host=host,
                    address=shown(str(url)),
                    connect=describe_seconds(connect_timeout),
                    detail=detail,
                )
            )
    return FeedUnreachable(f"the request to {host} failed: {exc}")
