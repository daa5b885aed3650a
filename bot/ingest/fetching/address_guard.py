"""The server-side request guard: refuse addresses inside private networks.

A feed address comes from a sources file or an admin, and a feed may redirect anywhere;
without this guard the bot could be pointed at its own machine, the cloud metadata service
(169.254.169.254) or the office network. Checks run on every hop, before connecting.
:class:`GuardedResolver` repeats the check inside aiohttp's connector, so a host name that
resolves differently the second time (DNS rebinding) is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.domain.errors import FeedAddressRefused, FeedUnreachable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefusedError(OSError):
    """Raised by :class:`GuardedResolver`; aiohttp carries it as ``os_error`` of its DNS error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched, or None when it is a public internet address."""
    effective: IPAddress = address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        effective = address.ipv4_mapped
    if (
        effective.is_loopback
        or effective.is_private
        or effective.is_link_local
        or effective.is_multicast
        or effective.is_reserved
        or effective.is_unspecified
        or not effective.is_global
    ):
        return (
            f"address {effective} is on a private network; "
            "set FETCH_ALLOW_PRIVATE=true to allow it"
        )
    return None


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


async def check_host(host: str, port: int) -> None:
    """Refuse ``host`` if it is, or resolves to, any address :func:`refusal_reason` refuses.

    Raises :class:`FeedAddressRefused`, or :class:`FeedUnreachable` when the name does not
    resolve. ``host`` is the encoded (IDNA) host name or an IP literal without brackets.
    """
    literal = _parse_ip(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FeedUnreachable(
                f"the host name {host} could not be found ({exc.strerror})"
            ) from exc
        except OSError as exc:
            raise FeedUnreachable(f"the host name {host} could not be looked up: {exc}") from exc
        addresses = [ip for info in infos if (ip := _parse_ip(str(info[4][0]))) is not None]
        if not addresses:
            raise FeedUnreachable(f"the host name {host} has no internet address")
    for address in addresses:
        reason = refusal_reason(address)
        if reason is not None:
            raise FeedAddressRefused(reason)


class GuardedResolver(ThreadedResolver):
    """aiohttp's threaded resolver, refusing names that resolve into private networks."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await super().resolve(host, port, family)
        for result in results:
            address = _parse_ip(result["host"])
            reason = "unreadable address" if address is None else refusal_reason(address)
            if reason is not None:
                raise AddressRefusedError(reason)
        return results
