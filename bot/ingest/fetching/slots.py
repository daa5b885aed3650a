"""Per-host request slots: at most ``per_host`` requests in flight to one host."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Slot:
    semaphore: asyncio.Semaphore
    users: int = field(default=0)  # holding or waiting


class HostSlots:
    """Semaphores per host, created on first use and dropped as soon as the host is idle.

    The table therefore never holds more hosts than there are requests waiting or in
    flight, however many different hosts are fetched over the bot's lifetime.
    """

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, _Slot] = {}

    def __len__(self) -> int:
        return len(self._slots)

    async def acquire(self, host: str) -> None:
        """Wait for a free slot for ``host``; pair with :meth:`release`."""
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = _Slot(asyncio.Semaphore(self._per_host))
        slot.users += 1
        try:
            await slot.semaphore.acquire()
        except BaseException:  # cancelled while waiting: leave no trace
            self._forget(host, slot)
            raise

    def release(self, host: str) -> None:
        slot = self._slots[host]
        slot.semaphore.release()
        self._forget(host, slot)

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Hold a slot for ``host`` for the ``async with`` body."""
        await self.acquire(host)
        try:
            yield
        finally:
            self.release(host)

    def _forget(self, host: str, slot: _Slot) -> None:
        slot.users -= 1
        if slot.users == 0:
            del self._slots[host]
