"""The subscription service on a real database: every change is one unit of work, and what
the service hands out (read through its cache) is always what the database holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app.composition import load_reference
from bot.domain.clock import ManualClock
from bot.domain.models import ChatKind, Subscription
from bot.readers.subscriptions import ChoiceError, Choices, NotSubscribed, SubscriptionService
from storage.chats import ChatRepository
from storage.database import Database
from storage.reference import ReferenceRepository
from storage.subscriptions import SubscriptionRepository

CHAT = 501
GROUP, SUPERGROUP = -502, -1000000000502


@pytest_asyncio.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await Database.open(tmp_path / "db.sqlite3")
    reference = load_reference()
    await ReferenceRepository(opened).sync(reference.regions, reference.sections, reference.topics)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def service(database: Database) -> SubscriptionService:
    reference = load_reference()
    return SubscriptionService(
        database=database,
        choices=Choices(
            region_zones={region.code: region.timezone for region in reference.regions},
            sections={section.slug for section in reference.sections},
            topics={topic.slug for topic in reference.topics},
        ),
        clock=ManualClock(datetime(2024, 6, 10, 6, 0, tzinfo=UTC)),
    )


async def stored(database: Database, chat_id: int, thread_id: int = 0) -> Subscription | None:
    return await SubscriptionRepository(database).get(chat_id, thread_id)


async def test_what_the_service_hands_out_is_what_the_database_holds(
    database: Database, service: SubscriptionService
) -> None:
    await service.register_chat(CHAT, kind=ChatKind.PRIVATE, title="Анна", language_code="ru")
    steps: list[Callable[[], Awaitable[Subscription]]] = [
        lambda: service.ensure(CHAT),
        lambda: service.toggle(CHAT, 0, "regions", "RU-IRK", selected=True),
        lambda: service.toggle(CHAT, 0, "sections", "practice", selected=True),
        lambda: service.toggle(CHAT, 0, "regions", "RU-IRK", selected=False),
        lambda: service.clear(CHAT, 0, "sections"),
        lambda: service.add_rule(CHAT, 0, regions=("RU-LIP",)),
        lambda: service.new_rule(CHAT, 0),
        lambda: service.set_mode(CHAT, 0, "daily"),
        lambda: service.set_quiet_hours(CHAT, 0, "22:00", "07:00"),
        lambda: service.set_paused(CHAT, 0, paused=True),
    ]
    for step in steps:
        handed_out = await step()
        assert handed_out == await stored(database, CHAT)
        assert await service.get(CHAT) == handed_out
    subscription = await service.get(CHAT)
    assert subscription is not None
    assert subscription.timezone == "Asia/Irkutsk"  # the first region chosen set it
    # the deep-link rule filled the empty rule left by the clearing; then a new empty one
    assert [rule.regions for rule in subscription.rules] == [("RU-LIP",), ()]


async def test_a_stopped_subscription_is_gone_from_the_cache_too(
    database: Database, service: SubscriptionService
) -> None:
    await service.register_chat(CHAT, kind=ChatKind.PRIVATE, title="Анна", language_code="ru")
    await service.toggle(CHAT, 0, "regions", "RU-IRK", selected=True)
    assert await service.stop(CHAT, 0)
    assert await service.get(CHAT) is None
    assert await stored(database, CHAT) is None
    with pytest.raises(NotSubscribed):
        await service.remove_rule(CHAT, 0, rule_id=1)
    fresh = await service.ensure(CHAT)
    assert fresh == await stored(database, CHAT)
    assert [rule.regions for rule in fresh.rules] == [()]


async def test_a_migrated_group_is_read_again_under_its_new_id(
    database: Database, service: SubscriptionService
) -> None:
    await service.register_chat(GROUP, kind=ChatKind.GROUP, title="Экспорт", language_code=None)
    await service.toggle(GROUP, 0, "regions", "RU-LIP", selected=True)
    assert await service.migrate_chat(GROUP, SUPERGROUP)
    assert await service.get(GROUP) is None
    moved = await service.get(SUPERGROUP)
    assert moved is not None and moved == await stored(database, SUPERGROUP)
    assert moved.rules[0].regions == ("RU-LIP",)


async def test_a_wrong_choice_changes_nothing(
    database: Database, service: SubscriptionService
) -> None:
    await service.register_chat(CHAT, kind=ChatKind.PRIVATE, title="Анна", language_code="ru")
    before = await service.ensure(CHAT)
    with pytest.raises(ChoiceError):
        await service.toggle(CHAT, 0, "regions", "RU-XXX", selected=True)
    assert await stored(database, CHAT) == before == await service.get(CHAT)


async def test_a_first_start_registers_the_chat_and_its_subscription_together(
    database: Database, service: SubscriptionService
) -> None:
    subscription = await service.register_and_ensure(
        CHAT, 0, kind=ChatKind.PRIVATE, title="Anna", language_code="en-GB"
    )
    assert subscription == await stored(database, CHAT)
    assert [rule.is_any for rule in subscription.rules] == [True]
    chat = await ChatRepository(database).get(CHAT)
    assert chat is not None and (chat.title, chat.language, chat.active) == ("Anna", "en", True)
    assert await service.chat(CHAT) == chat

    await service.deactivate(CHAT, "blocked")
    again = await service.register_and_ensure(
        CHAT, 0, kind=ChatKind.PRIVATE, title="Anna", language_code="ru"
    )
    assert again == subscription  # the same subscription, not a second one
    chat = await ChatRepository(database).get(CHAT)
    assert chat is not None and chat.active  # writing again made the chat active
    assert chat.language == "en"  # a language once set stays


async def test_a_chat_read_before_it_exists_is_found_once_it_is_registered(
    database: Database, service: SubscriptionService
) -> None:
    assert await service.chat(CHAT) is None  # a new reader's first update asks first
    assert await service.chat(CHAT) is None
    await service.register_and_ensure(
        CHAT, 0, kind=ChatKind.PRIVATE, title="Анна", language_code="ru"
    )
    chat = await service.chat(CHAT)
    assert chat is not None and chat == await ChatRepository(database).get(CHAT)
    await service.set_language(CHAT, "en")  # read again from the database
    chat = await service.chat(CHAT)
    assert chat is not None and chat.language == "en"

    assert await service.chat(SUPERGROUP) is None
    await service.register_chat(GROUP, kind=ChatKind.GROUP, title="Экспорт", language_code=None)
    assert await service.migrate_chat(GROUP, SUPERGROUP)
    moved = await service.chat(SUPERGROUP)
    assert moved is not None and moved.kind is ChatKind.SUPERGROUP


async def test_an_unknown_setting_is_refused_and_changes_nothing(
    database: Database, service: SubscriptionService
) -> None:
    await service.register_chat(CHAT, kind=ChatKind.PRIVATE, title="Анна", language_code="ru")
    before = await service.ensure(CHAT)
    with pytest.raises(ValueError, match="not subscription settings"):
        await SubscriptionRepository(database).update_settings(
            before.id, now=datetime(2024, 6, 11, tzinfo=UTC), mode="daily", chat_id=999
        )
    assert await stored(database, CHAT) == before  # not even the valid "mode" was written
