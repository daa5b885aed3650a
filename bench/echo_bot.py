"""The yardstick of ``bench.bench_bot``: a bare aiogram echo bot, run as its own process.

    BOT_TOKEN=… TELEGRAM_API_URL=http://127.0.0.1:8081 python -m bench.echo_bot

It answers every message with its own text (``message.answer(message.text)``) and every
button press with an empty ``answerCallbackQuery``. It long-polls with regionews's session
(``bot.app.make_bot``) and polling settings (``bot.app.BotRuntime._run_polling``: the same
polling timeout and allowed updates, updates handled as tasks), and stops cleanly on
SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message

from bot.app import POLLING_TIMEOUT_SECONDS, make_bot

log = logging.getLogger("bench.echo_bot")


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


async def run(token: str, api_url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    bot = make_bot(token, api_url)
    try:
        await poll(bot, echo_dispatcher(), stop)
    finally:
        await bot.session.close()
    log.info("echo bot stopped")


def main() -> int:
    token = os.environ.get("BOT_TOKEN", "")
    api_url = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
    if not token:
        print("echo_bot: set BOT_TOKEN (and TELEGRAM_API_URL)", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(run(token, api_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
