"""The server-side request guard: refuse addresses inside private networks.

A feed address comes from a sources file or an admin, and a feed may redirect anywhere;
without this guard the bot could be pointed at its own machine, the cloud metadata service
(169.254.169.254) or the office network. Checks run on every hop, before connecting.
:class:`GuardedResolver` repeats the check inside aiohttp's connector, so a host name that
resolves differently the second time (DNS rebinding) is refused too.

IPv4 addresses hidden in IPv6 are judged by the IPv4 address: IPv4-mapped (``::ffff:0:0/96``),
6to4 (``2002::/16``) and the well-known NAT64 prefix (``64:ff9b::/96``); the local-use NAT64
prefix (``64:ff9b:1::/48``) is private as a whole.

:class:`AllowList` (``FETCH_ALLOW_HOSTS``) opens the guard for named hosts (exactly that
name, any address it resolves to) and for networks (CIDR), and for nothing else, where
``FETCH_ALLOW_PRIVATE`` opens it for every address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.domain.errors import FeedAddressRefused, FeedUnreachable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_LABEL_CHARS = 63  # one part of a host name (RFC 1035)
MAX_HOST_CHARS = 253  # the whole name, without a trailing dot
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SHOWN_HOST_CHARS = 80
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")


class AddressRefusedError(OSError):
    """Raised by :class:`GuardedResolver`; aiohttp carries it as ``os_error`` of its DNS error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else ``address``."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched, or None when it is a public internet address."""
    effective = embedded_ipv4(address)
    if (
        effective in _NAT64_LOCAL
        or effective.is_loopback
        or effective.is_private
        or effective.is_link_local
        or effective.is_multicast
        or effective.is_reserved
        or effective.is_unspecified
        or not effective.is_global
    ):
        return (
            f"address {effective} is on a private network; "
            "list it in FETCH_ALLOW_HOSTS or set FETCH_ALLOW_PRIVATE=true to allow it"
        )
    return None


def host_name_problem(host: str) -> str | None:
    """What makes ``host`` (an encoded host name or IP literal) unusable, or None.

    A part over 63 characters, a name over 253 or an empty part cannot be looked up (the IDNA
    codec raises ``UnicodeError``), so such an address is refused before any look-up.
    """
    if not host:
        return "it has no host name"
    if _parse_ip(host) is not None:
        return None
    name = host[:-1] if host.endswith(".") else host
    shown = name if len(name) <= _SHOWN_HOST_CHARS else name[:_SHOWN_HOST_CHARS] + "…"
    if len(name) > MAX_HOST_CHARS:
        return f"the host name {shown} is longer than {MAX_HOST_CHARS} characters"
    labels = name.split(".")
    if any(len(label) > MAX_LABEL_CHARS for label in labels):
        return f"a part of the host name {shown} is longer than {MAX_LABEL_CHARS} characters"
    if not all(labels):
        return f"the host name {shown} has an empty part (two dots in a row)"
    return None


@dataclass(frozen=True, slots=True)
class AllowList:
    """Hosts and networks the guard lets through though private (``FETCH_ALLOW_HOSTS``)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hosts or self.networks)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """``["intranet.local", "10.1.2.0/24"]`` → an allow-list; ``ValueError`` in words.

        An entry is a host name (matched exactly, case-insensitively), an IP address or a
        network in CIDR notation.
        """
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            if "/" in entry or _parse_ip(entry.strip("[]")) is not None:
                try:
                    networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                except ValueError:
                    raise ValueError(
                        f"«{raw.strip()}» is not a network; write it like 10.1.2.0/24"
                    ) from None
                continue
            try:
                encoded = entry.encode("idna").decode("ascii")
            except UnicodeError:
                encoded = ""
            if not _HOST_CHARS.fullmatch(encoded) or host_name_problem(encoded) is not None:
                raise ValueError(
                    f"«{raw.strip()}» is neither a host name nor a network in CIDR"
                    " (like intranet.local or 10.1.2.0/24)"
                )
            hosts.add(encoded)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        """Whether the host name ``host`` (encoded) is listed by name."""
        return bool(self.hosts) and host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        """Whether ``address`` (or the IPv4 address it carries) is in a listed network."""
        candidates = {address, embedded_ipv4(address)}
        return any(
            candidate.version == network.version and candidate in network
            for network in self.networks
            for candidate in candidates
        )

    def refusal(self, address: IPAddress) -> str | None:
        """:func:`refusal_reason`, unless a listed network holds ``address``."""
        return None if self.allows_address(address) else refusal_reason(address)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


async def check_host(host: str, port: int, allowed: AllowList | None = None) -> None:
    """Refuse ``host`` if it is, or resolves to, any address :func:`refusal_reason` refuses.

    Raises :class:`FeedAddressRefused`, or :class:`FeedUnreachable` when the name does not
    resolve. ``host`` is the encoded (IDNA) host name or an IP literal without brackets.
    A host or network on the ``allowed`` list passes.
    """
    allowed = allowed or AllowList()
    problem = host_name_problem(host)
    if problem is not None:
        raise FeedAddressRefused(problem)
    if allowed.allows_host(host):
        return
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
        except UnicodeError as exc:  # the IDNA codec: a name no resolver can take
            raise FeedAddressRefused(f"the host name {host} is not a valid name") from exc
        addresses = [ip for info in infos if (ip := _parse_ip(str(info[4][0]))) is not None]
        if not addresses:
            raise FeedUnreachable(f"the host name {host} has no internet address")
    for address in addresses:
        reason = allowed.refusal(address)
        if reason is not None:
            raise FeedAddressRefused(reason)


class GuardedResolver(ThreadedResolver):
    """aiohttp's threaded resolver, refusing names that resolve into private networks."""

    def __init__(self, allowed: AllowList | None = None) -> None:
        super().__init__()
        self._allowed = allowed or AllowList()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        problem = host_name_problem(host)
        if problem is not None:
            raise AddressRefusedError(problem)
        try:
            results = await super().resolve(host, port, family)
        except UnicodeError as exc:
            raise AddressRefusedError(f"the host name {host} is not a valid name") from exc
        if self._allowed.allows_host(host):
            return results
        for result in results:
            address = _parse_ip(result["host"])
            reason = "unreadable address" if address is None else self._allowed.refusal(address)
            if reason is not None:
                raise AddressRefusedError(reason)
        return results
