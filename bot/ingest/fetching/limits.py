"""How far one fetch may go: deadlines, sizes, concurrency."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.errors import ConfigError
from bot.ingest.fetching.address_guard import AllowList

_KIB = 1024
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits shared by every fetch a :class:`~bot.ingest.fetching.Fetcher` makes."""

    timeout_seconds: float = 20.0  # total deadline for one fetch including redirects and body
    connect_timeout_seconds: float = 10.0
    max_bytes: int = 10 * 1024 * 1024  # cap on the DECOMPRESSED body
    concurrency: int = 20  # requests in flight overall
    per_host: int = 2  # requests in flight per host
    max_redirects: int = 5
    user_agent: str = "regionews/0.1 (+https://github.com/regionews)"
    allow_private_addresses: bool = False  # FETCH_ALLOW_PRIVATE: every address
    allowed: AllowList = field(default_factory=AllowList)  # FETCH_ALLOW_HOSTS: only these

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0 or self.connect_timeout_seconds <= 0:
            raise ConfigError("fetch timeouts must be positive numbers of seconds")
        if self.max_bytes <= 0:
            raise ConfigError("the fetch size cap must be a positive number of bytes")
        if self.concurrency < 1 or self.per_host < 1:
            raise ConfigError("fetch concurrency and per-host limits must be at least 1")
        if self.max_redirects < 0:
            raise ConfigError("the number of redirects to follow cannot be negative")


def describe_size(size: int) -> str:
    """``10485760`` → ``"10 MB"``: a byte count in words a reader can take in."""
    if size >= _MIB:
        return f"{size // _MIB} MB" if size % _MIB == 0 else f"{size / _MIB:.1f} MB"
    if size >= _KIB:
        return f"{size // _KIB} KB" if size % _KIB == 0 else f"{size / _KIB:.1f} KB"
    return f"{size} bytes"


def describe_seconds(seconds: float) -> str:
    """``20.0`` → ``"20 s"``."""
    return f"{seconds:g} s"
