"""The yardstick of ``bench.bench_bot``: an aiogram echo bot, run as its own process.

    BOT_TOKEN=… TELEGRAM_API_URL=http://127.0.0.1:8081 python -m bench.echo_bot
    ECHO_RUNTIME=regionews BOT_TOKEN=… TELEGRAM_API_URL=… python -m bench.echo_bot

It answers every message with its own text (``message.answer(message.text)``) and every
button press with an empty ``answerCallbackQuery``, long-polls with regionews's polling
settings (``bot.app.runtime.BotRuntime._run_polling``: the same polling timeout and
allowed updates, updates handled as tasks), and stops cleanly on SIGTERM or Ctrl-C.

``ECHO_RUNTIME`` says what it runs on:

- ``bare`` (default): aiogram as it comes: its own ``AiohttpSession`` (form-encoded
  requests, the standard ``json``), asyncio's event loop and Python's garbage collector
  settings. The issue's yardstick, "a bare aiogram echo bot".
- ``regionews``: regionews's runtime: its Bot API session (``bot.app.runtime.make_bot``: JSON
  bodies, orjson, response types kept), its event loop (``bot.app.event_loop``: uvloop where
  installed) and its garbage collector settings (``bot.app.runtime.settle_garbage_collector``).
  Against this one the ratio compares handler work only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

from bot.app import event_loop
from bot.app.event_loop import EventLoopChoice
from bot.app.runtime import POLLING_TIMEOUT_SECONDS, make_bot, settle_garbage_collector

log = logging.getLogger("bench.echo_bot")
RUNTIMES = ("bare", "regionews")


def echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        if message.text:
            await message.answer(message.text)

    @router.callback_query()
    async def acknowledge(callback: CallbackQuery) -> None:
        await callback.answer()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def poll(bot: Bot, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Long-poll until ``stop`` is set, the way regionews does."""
    await bot.delete_webhook(drop_pending_updates=False)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            polling_timeout=POLLING_TIMEOUT_SECONDS,
            handle_as_tasks=True,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
    )
    stopper = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if polling in done:
        stopper.cancel()
        await polling  # polling ended on its own: surface its error
        return
    await dispatcher.stop_polling()
    await polling


async def run(token: str, api_url: str, runtime: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    if runtime == "regionews":
        bot = make_bot(token, api_url)
        settle_garbage_collector()
    else:
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    try:
        await poll(bot, echo_dispatcher(), stop)
    finally:
        await bot.session.close()
    log.info("echo bot stopped")


def main() -> int:
    token = os.environ.get("BOT_TOKEN", "")
    api_url = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
    runtime = os.environ.get("ECHO_RUNTIME", "bare")
    if not token:
        print("echo_bot: set BOT_TOKEN (and TELEGRAM_API_URL)", file=sys.stderr)
        return 2
    if runtime not in RUNTIMES:
        print(f"echo_bot: ECHO_RUNTIME must be one of {', '.join(RUNTIMES)}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    loop: EventLoopChoice = "auto" if runtime == "regionews" else "asyncio"
    event_loop.run(run(token, api_url, runtime), loop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
