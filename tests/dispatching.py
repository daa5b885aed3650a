"""A Dispatcher of a test's own, long-polling the strict stand: for stories about how the bot
is put together (routers, FSM) rather than what it says, so a test can add a router or choose
the storage. ``say`` waits for the bot's answers without sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher

from tests.telegram_stand import Person, StandChat, StandMessage, TelegramStand

POLLING_TIMEOUT_SECONDS = 1


@asynccontextmanager
async def polling(stand: TelegramStand, dispatcher: Dispatcher) -> AsyncIterator[Bot]:
    """A fresh Bot polling ``stand`` for ``dispatcher`` until the block ends, then closed."""
    bot = stand.make_bot()
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=POLLING_TIMEOUT_SECONDS,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
    )
    try:
        await stand.wait_for(lambda: stand.polling or task.done())
        if task.done():
            await task  # it failed to start: say why
        yield bot
    finally:
        if not task.done():
            await dispatcher.stop_polling()
        await task
        await bot.session.close()


async def say(
    stand: TelegramStand, person: Person, chat: StandChat, text: str, *, answers: int = 1
) -> list[StandMessage]:
    """``person`` writes ``text``; the bot's next ``answers`` messages in ``chat``."""
    before = len(stand.messages_in(chat))
    await person.send(chat, text)
    seen = await stand.wait_for_messages(chat, before + answers)
    return seen[before:]
