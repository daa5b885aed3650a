"""A two-step dialogue (a draft post, as the editorial desk will have) survives a restart: the
bot stops between the steps, a new Bot and Dispatcher open the same database file, and the
second answer still finds the first."""

from __future__ import annotations

from pathlib import Path

from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.app.fsm import SqliteStorage
from bot.domain.clock import ManualClock
from bot.tagging.language import Language
from storage.database import Database
from tests.bot_harness import NOW, running_bot
from tests.conftest import SettingsFactory
from tests.dispatching import polling, say
from tests.telegram_stand import RateLimits, TelegramStand
from tests.web_stand import WebStand


class Draft(StatesGroup):
    title = State()
    text = State()


async def cmd_draft(message: Message, state: FSMContext) -> None:
    await state.set_state(Draft.title)
    await message.answer("Заголовок?")


async def on_title(message: Message, state: FSMContext) -> None:
    await state.update_data(title=message.text)
    await state.set_state(Draft.text)
    await message.answer("Текст?")


async def on_text(message: Message, state: FSMContext) -> None:
    draft = await state.get_data()
    await state.clear()
    await message.answer(f"Черновик: «{draft['title']}» — {message.text}")


async def on_anything_else(message: Message) -> None:
    await message.answer("Нет черновика.")


def draft_router() -> Router:
    router = Router(name="tests.draft")
    router.message.register(cmd_draft, Command("draft"))
    router.message.register(on_title, Draft.title, F.text)
    router.message.register(on_text, Draft.text, F.text)
    router.message.register(on_anything_else)
    return router


def dispatcher_on(database: Database) -> Dispatcher:
    dispatcher = Dispatcher(storage=SqliteStorage(database, clock=ManualClock(NOW)))
    dispatcher.include_router(draft_router())
    return dispatcher


async def test_a_draft_started_before_a_restart_is_finished_after_it(
    telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    telegram_stand.set_limits(RateLimits.off())  # a story of steps, not of flood control
    path = tmp_path / "regionews.sqlite3"
    olga = telegram_stand.user(1001, "Ольга")
    chat = telegram_stand.private_chat(olga)

    database = await Database.open(path)
    try:
        async with polling(telegram_stand, dispatcher_on(database)):
            assert [m.text for m in await say(telegram_stand, olga, chat, "/draft")] == [
                "Заголовок?"
            ]
            assert [m.text for m in await say(telegram_stand, olga, chat, "Урожай")] == ["Текст?"]
    finally:
        await database.close()

    database = await Database.open(path)  # a new process would do no more than this
    try:
        async with polling(telegram_stand, dispatcher_on(database)):
            [done] = await say(telegram_stand, olga, chat, "Собрали рекордный урожай.")
            [after] = await say(telegram_stand, olga, chat, "ещё строка")
    finally:
        await database.close()

    assert done.text == "Черновик: «Урожай» — Собрали рекордный урожай."
    assert after.text == "Нет черновика."  # cleared, and the clearing was stored too


async def test_the_running_bot_keeps_dialogues_in_its_database(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> None:
    settings = make_settings(
        bot_token=telegram_stand.token, telegram_api_url=telegram_stand.base_url
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        runtime = harness.runtime
        assert isinstance(runtime.dispatcher.storage, SqliteStorage)
        outer = list(runtime.dispatcher.update.outer_middleware)
        # on, and inside the count of updates in flight (shutdown waits for its reads)
        assert outer.index(runtime.in_flight) < outer.index(runtime.dispatcher.fsm)
        context = runtime.dispatcher.fsm.get_context(runtime.bot, chat_id=1001, user_id=1001)
        await context.set_state(Draft.text)
        await context.update_data(title="Урожай")

    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        runtime = harness.runtime
        context = runtime.dispatcher.fsm.get_context(runtime.bot, chat_id=1001, user_id=1001)
        assert await context.get_state() == "Draft:text"
        assert await context.get_data() == {"title": "Урожай"}
