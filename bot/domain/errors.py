"""Domain errors. Each carries a plain-words ``reason`` that a user or admin can read.

::

    RegionewsError
    ├── ConfigError                 a setting or the sources file is wrong
    └── FeedError                   one source failed; every other source carries on
        ├── FeedUnreachable         DNS, refused connection, reset, TLS
        ├── FeedTimeout             no complete answer in time (includes trickling servers)
        ├── FeedTooLarge            body over the byte cap (after decompression)
        ├── FeedHTTPError           4xx/5xx answer (``status``, ``retry_after``)
        ├── FeedAddressRefused      not http(s), or a private/loopback address
        └── FeedMalformed           the body is not a feed or page we can read
            └── FeedUnsafe          the body tries an entity expansion or similar attack
"""

from __future__ import annotations


class RegionewsError(Exception):
    """Base of every error regionews raises on purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(RegionewsError):
    """A setting, the sources file or a command argument is wrong."""


class FeedError(RegionewsError):
    """Fetching or parsing one source failed."""


class FeedUnreachable(FeedError):
    """The server could not be reached."""


class FeedTimeout(FeedError):
    """The server did not send a complete answer in time."""


class FeedTooLarge(FeedError):
    """The body is larger than the configured cap."""


class FeedHTTPError(FeedError):
    """The server answered with an error status."""

    def __init__(self, reason: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


class FeedAddressRefused(FeedError):
    """The address is not allowed (scheme, or a private network without permission)."""


class FeedMalformed(FeedError):
    """The body cannot be read as a feed or a news-list page."""


class FeedUnsafe(FeedMalformed):
    """The body looks like an attack on the parser (entity expansion, external entities)."""
