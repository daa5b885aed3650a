"""The event loop regionews runs on: uvloop where it is installed, asyncio's own otherwise.

Every update costs the bot one to three HTTP round trips to the Bot API and a hop to the
SQLite thread, and most of that CPU is the event loop and its sockets, not our code. uvloop
(libuv under asyncio's interface) does that part for less: in ``bench.bench_bot`` the bot
spent 12–19 % less CPU per update on it than on asyncio's loop, with the same replies.

``EVENT_LOOP`` chooses: ``auto`` (default) takes uvloop when it can be imported (it is a
dependency everywhere but Windows, where it is not built), ``uvloop`` insists on it, and
``asyncio`` keeps the standard loop, for debugging or if uvloop ever misbehaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from bot.domain.errors import ConfigError

EventLoopChoice = Literal["auto", "uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]

T = TypeVar("T")


def loop_factory(choice: EventLoopChoice) -> LoopFactory | None:
    """The factory of the chosen loop; None for asyncio's own."""
    if choice == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415  (optional: not built for Windows)
    except ImportError:
        if choice == "uvloop":
            raise ConfigError(
                "Setting EVENT_LOOP: uvloop is not installed here; use auto or asyncio"
            ) from None
        return None
    return uvloop.new_event_loop


def describe(loop: asyncio.AbstractEventLoop) -> str:
    """«uvloop» or «asyncio»: which loop this is, for the start-up log line."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    factory = loop_factory(choice)
    if factory is None:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
