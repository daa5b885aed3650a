"""A strict fake Telegram Bot API for tests: the real aiogram ``Bot`` talks HTTP to it.

Start with ``TelegramStand`` (or the ``telegram_stand`` fixture in ``fixtures``).
"""

from .core import StandOptions
from .errors import ApiError, StandTimeout, StandUsageError
from .limits import ClockSleep, ManualClock, MonotonicClock, RateLimits
from .models import (
    ApiCall,
    CallbackAnswer,
    ChatKind,
    MemberStatus,
    StandChat,
    StandMessage,
    StandUser,
)
from .people import Person
from .stand import TelegramStand
from .updates import WebhookDelivery

__all__ = [
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "ChatKind",
    "ClockSleep",
    "ManualClock",
    "MemberStatus",
    "MonotonicClock",
    "Person",
    "RateLimits",
    "StandChat",
    "StandMessage",
    "StandOptions",
    "StandTimeout",
    "StandUsageError",
    "StandUser",
    "TelegramStand",
    "WebhookDelivery",
]
