"""The JSON Bot API session against the strict fake server: JSON for ordinary requests,
multipart still for uploads, and Telegram's errors still mapped to aiogram's exceptions."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.formatting import Bold, Text

from bot.telegram_session import JsonAiohttpSession
from tests.telegram_stand import RateLimits, TelegramStand


def json_bot(stand: TelegramStand) -> Bot:
    return Bot(
        stand.token, session=JsonAiohttpSession(api=TelegramAPIServer.from_base(stand.base_url))
    )


async def test_a_message_with_entities_and_a_keyboard_arrives_whole(
    telegram_stand: TelegramStand,
) -> None:
    telegram_stand.set_limits(RateLimits.off())
    anna = telegram_stand.user(1001, "Анна")
    chat = telegram_stand.private_chat(anna)
    bot = json_bot(telegram_stand)
    try:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Иркутская область", callback_data="tg:1")]
            ]
        )
        sent = await bot.send_message(
            chat.id, **Text(Bold("Новости"), " <&> Приангарья").as_kwargs(), reply_markup=keyboard
        )
        assert sent.text == "Новости <&> Приангарья"
        [shown] = telegram_stand.messages_in(chat)
        assert shown.text == "Новости <&> Приангарья"
        assert shown.button_texts() == [["Иркутская область"]]
        assert [e["type"] for e in shown.entities] == ["bold"]
        photo = await bot.send_photo(
            chat.id, BufferedInputFile(b"\x89PNG fake image", "map.png"), caption="Карта"
        )
        assert photo.caption == "Карта"
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(chat.id, " ")
    finally:
        await bot.session.close()
