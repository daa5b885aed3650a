"""``python -m bot`` killed with SIGKILL in the middle of a broadcast, and started again:
every chat gets its message, and a chat gets it twice at most once per kill (the message
Telegram had accepted when the process died, which the bot could not record)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, broadcast_key
from bot.domain.models import ChatKind
from storage import outbox
from storage.chats import ChatRepository
from storage.database import Database
from tests.delivery_harness import START
from tests.telegram_stand import StandChat, TelegramStand
from tests.test_bot_process import bot_process, working_folder

BROADCAST = "<b>Срочно</b>: движение по БАМу восстановлено"
CONCURRENCY = 8


async def plan_broadcast(database_path: Path, chats: list[StandChat]) -> None:
    """The outbox as the bot would find it: chats known, one broadcast row for each."""
    database = await Database.open(database_path)
    try:
        repository = ChatRepository(database)
        for chat in chats:
            kind = ChatKind.PRIVATE if chat.id > 0 else ChatKind.GROUP
            await repository.register(
                chat.id, kind=kind, title=chat.title or "", language="ru", now=START
            )
        rows = [
            PlannedDelivery(
                chat_id=chat.id,
                kind=DeliveryKind.BROADCAST,
                dedupe_key=broadcast_key("crash"),
                priority=Priority.URGENT,
                due_at=START,
                body=BROADCAST,
            )
            for chat in chats
        ]
        await database.write(lambda c: outbox.enqueue(c, rows, now=START))
    finally:
        await database.close()


async def test_a_bot_killed_mid_broadcast_delivers_every_message_after_a_restart(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    stand = telegram_stand
    people = [stand.private_chat(stand.user(20_000 + n, f"R{n}")) for n in range(70)]
    groups = [stand.group(f"Цех {n}") for n in range(10)]
    chats = [*people, *groups]
    _sources, database_path = working_folder(tmp_path)
    await plan_broadcast(database_path, chats)

    def delivered() -> Counter[int]:
        return Counter(call.params["chat_id"] for call in stand.calls("sendMessage") if call.ok)

    settings = {"DELIVERY_CONCURRENCY": str(CONCURRENCY)}
    async with bot_process(tmp_path, stand, **settings) as first:
        await first.until(stand, "a third of the broadcast", lambda: len(delivered()) >= 25)
        first.process.kill()  # SIGKILL: no handler, no cleanup
        await first.process.wait()
    before_restart = delivered()
    assert len(before_restart) < len(chats), "killed before the broadcast was over"

    async with bot_process(tmp_path, stand, **settings) as second:
        await second.until(stand, "every chat's message", lambda: len(delivered()) == len(chats))
        await second.stop()

    counts = delivered()
    assert set(counts) == {chat.id for chat in chats}  # none lost
    doubled = [chat_id for chat_id, count in counts.items() if count > 1]
    assert all(counts[chat_id] == 2 for chat_id in doubled)  # at most one double per chat
    assert len(doubled) <= CONCURRENCY  # only what was in flight at the kill
    assert all(chat_id in before_restart for chat_id in doubled)
    for chat in chats:
        assert {m.text for m in stand.messages_in(chat)} == {
            "Срочно: движение по БАМу восстановлено"
        }

    database = await Database.open(database_path, migrate=False)
    try:
        states = await database.read(outbox.counts)
    finally:
        await database.close()
    assert states["sent"] == len(chats)
    assert states["pending"] == states["sending"] == 0
