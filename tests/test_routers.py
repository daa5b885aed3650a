"""Routers keep what is set on them: a router-level filter (the admin guard) and a router-level
middleware still apply once :func:`handlers.build_routers` has handed the routers to a real
Dispatcher, and the feature routers around them still answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import Chat, Message, TelegramObject, User

from bot.domain.clock import ManualClock
from bot.readers.subscriptions import Choices, SubscriptionService
from handlers import ROUTER_FACTORIES, build_routers, setup_i18n
from handlers.filters import IsAdmin
from storage.database import Database
from tests.bot_harness import NOW, OWNER_ID, BotHarness
from tests.dispatching import polling, say
from tests.telegram_stand import RateLimits, TelegramStand

UNKNOWN_WHOAMI = "Неизвестная команда: /whoami\nОтправьте /help, чтобы узнать, что я умею."


class Stamp(BaseMiddleware):
    """A router-level middleware: puts ``stamp`` into the handler's data, notes who it saw."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message) and event.from_user is not None:
            self.seen.append(event.from_user.id)
        data["stamp"] = "из мидлвари роутера"
        return await handler(event, data)


async def whoami(message: Message, stamp: str) -> None:
    await message.answer(f"Владелец; {stamp}")


def guarded_router_factory(stamp: Stamp) -> Callable[[], Router]:
    def build_router() -> Router:
        router = Router(name="tests.guarded")
        router.message.filter(IsAdmin())
        router.message.middleware(stamp)
        router.message.register(whoami, Command("whoami"))
        return router

    return build_router


@pytest_asyncio.fixture
async def subscriptions(tmp_path: Path) -> AsyncIterator[SubscriptionService]:
    database = await Database.open(tmp_path / "regionews.sqlite3")
    try:
        yield SubscriptionService(
            database=database,
            choices=Choices(region_zones={}, sections=(), topics=()),
            clock=ManualClock(NOW),
        )
    finally:
        await database.close()


def _message(sender: User | None, chat_type: str = "private") -> Message:
    chat = Chat(id=sender.id if sender else -1001, type=chat_type)
    return Message(
        message_id=1, date=datetime(2026, 12, 4, tzinfo=UTC), chat=chat, from_user=sender
    )


@pytest.mark.parametrize(
    ("event", "admin_ids", "admitted"),
    [
        (_message(User(id=OWNER_ID, is_bot=False, first_name="Ольга")), {OWNER_ID}, True),
        (_message(User(id=1002, is_bot=False, first_name="Иван")), {OWNER_ID}, False),
        (_message(User(id=OWNER_ID, is_bot=False, first_name="Ольга")), set(), False),
        (_message(None, "channel"), {OWNER_ID}, False),  # a channel post has no sender
    ],
    ids=["owner", "stranger", "no-owners-set", "no-sender"],
)
async def test_is_admin_admits_the_owners_only(
    event: Message, admin_ids: set[int], admitted: bool
) -> None:
    assert await IsAdmin()(event, admin_ids=frozenset(admin_ids)) is admitted


def test_every_build_gives_new_routers_in_order_with_the_fallback_last() -> None:
    first, second = build_routers(), build_routers()
    assert all(a is not b for a, b in zip(first, second, strict=True))
    assert [router.name for router in first] == [
        "handlers.reading",
        "handlers.choices",
        "handlers.start",
        "handlers.my",
        "handlers.settings",
        "handlers.control",
        "handlers.chat_state",
        "handlers.admin",
        "handlers.channels",
        "handlers.sources",
        "handlers.admins",
        "handlers.posts",
        "handlers.stats",
        "handlers.broadcast",
        "handlers.fallback",
    ]


async def test_a_router_level_filter_and_middleware_survive_build_routers(
    telegram_stand: TelegramStand, subscriptions: SubscriptionService
) -> None:
    telegram_stand.set_limits(RateLimits.off())  # a story of steps, not of flood control
    stamp = Stamp()
    *features, fallback = ROUTER_FACTORIES
    dispatcher = Dispatcher(subscriptions=subscriptions, admin_ids=frozenset({OWNER_ID}))
    setup_i18n(dispatcher, subscriptions=subscriptions)
    dispatcher.include_routers(
        *build_routers((*features, guarded_router_factory(stamp), fallback))
    )
    olga = telegram_stand.user(OWNER_ID, "Ольга")
    ivan = telegram_stand.user(1002, "Иван")
    olga_chat, ivan_chat = telegram_stand.private_chat(olga), telegram_stand.private_chat(ivan)

    async with polling(telegram_stand, dispatcher):
        [to_owner] = await say(telegram_stand, olga, olga_chat, "/whoami")
        [to_stranger] = await say(telegram_stand, ivan, ivan_chat, "/whoami")
        [help_text] = await say(telegram_stand, ivan, ivan_chat, "/help")

    assert to_owner.text == "Владелец; из мидлвари роутера"
    assert to_stranger.text == UNKNOWN_WHOAMI  # the guard held; the fallback answered
    assert stamp.seen == [OWNER_ID]  # the middleware ran only behind the guard
    assert help_text.text is not None and help_text.text.startswith("Что я умею")


async def test_the_owner_opens_the_admin_panel(owned_bot: BotHarness) -> None:
    olga = owned_bot.stand.user(OWNER_ID, "Ольга")
    chat = owned_bot.stand.private_chat(olga)

    [panel] = await owned_bot.send(olga, chat, "/admin")

    assert panel.text == (
        "Панель администратора…\n"
        "Здесь будет редакция: черновики, посты в каналы, отчёты о доставке."
    )


@pytest.mark.parametrize("text", ["/admin", "/admin please"])
async def test_anyone_else_is_told_the_command_is_unknown(
    owned_bot: BotHarness, text: str
) -> None:
    ivan = owned_bot.stand.user(1002, "Иван")
    chat = owned_bot.stand.private_chat(ivan)

    [answer] = await owned_bot.send(ivan, chat, text)

    assert answer.text == (
        "Неизвестная команда: /admin\nОтправьте /help, чтобы узнать, что я умею."
    )
