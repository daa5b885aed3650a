"""The ``telegram_stand`` pytest fixture. Import it in a test module or a conftest::

from tests.telegram_stand.fixtures import telegram_stand  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .stand import TelegramStand


@pytest_asyncio.fixture
async def telegram_stand() -> AsyncIterator[TelegramStand]:
    """A started stand with default limits and the real monotonic clock; closed afterwards."""
    async with TelegramStand() as stand:
        yield stand
