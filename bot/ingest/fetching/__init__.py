"""Fetching feeds and pages over HTTP, politely and safely.

The public surface is :class:`Fetcher` and :class:`FetchLimits`; a fetch returns a
:class:`bot.domain.models.FetchResult` or raises one of the
:class:`bot.domain.errors.FeedError` types:

* ``FeedAddressRefused``: not http(s), not a valid address, a host name no resolver takes
  (a part over 63 characters, the name over 253), or (unless allowed by
  ``allow_private_addresses`` or the ``allowed`` list) an address on a private, loopback,
  link-local, multicast or reserved network, also inside IPv6 (mapped, 6to4, NAT64),
  checked on every hop;
* ``FeedUnreachable``: DNS failure, refused or broken connection, TLS failure;
* ``FeedTimeout``: no complete answer within ``timeout_seconds`` (trickling servers included);
* ``FeedTooLarge``: the decompressed body passed ``max_bytes``;
* ``FeedHTTPError``: a 4xx/5xx answer (with ``retry_after`` on 429/503), a broken redirect
  or too many redirects.

Headers a server gets wrong (``max-age=²``, ``Expires`` in year 9999 at -1400) are no
promise, never an error. ``client.check_address`` applies the address rules without fetching
(the sources file uses it).

Modules: ``limits`` (the settings), ``client`` (the fetcher), ``address_guard`` (the
server-side request guard and its allow-list), ``freshness`` (cache headers, pure),
``statuses`` (error words), ``failures`` (connection errors in words), ``slots`` (the
per-host semaphores).
"""

from bot.ingest.fetching.client import Fetcher
from bot.ingest.fetching.limits import FetchLimits

__all__ = ["FetchLimits", "Fetcher"]
