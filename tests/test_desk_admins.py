"""/admins stories through the strict fake Bot API: an owner adds and removes editors (by id,
by a forwarded message, by a button), an editor sees the list only, anyone else finds nothing;
every change is in the audit log. Plus the pure parsing of /admins, without I/O."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiogram.types import Chat, Message, Update, User

from bot.desk.roles import ACTION_EDITOR_ADD, ACTION_EDITOR_REMOVE
from bot.tagging.language import Language
from handlers.admins import (
    Act,
    EditorAction,
    Hidden,
    Person,
    Request,
    UsageError,
    parse_request,
    person_of,
)
from storage.audit import AuditEntry, recent_audit
from tests.bot_harness import BotHarness, running_bot
from tests.conftest import SettingsFactory
from tests.telegram_stand import Person as StandPerson
from tests.telegram_stand import TelegramStand
from tests.web_stand import WebStand

OWNER_ID = 1001
EDITOR_ID = 2002
STRANGER_ID = 3003
UNKNOWN_ADMINS = "Неизвестная команда: /admins\nОтправьте /help, чтобы узнать, что я умею."
STALE = "Эта кнопка устарела. Отправьте команду ещё раз."
OWNERS_ONLY = "Добавлять и убирать редакторов могут только владельцы бота (ADMIN_IDS)."


@pytest_asyncio.fixture(name="desk")
async def desk_fixture(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> AsyncIterator[BotHarness]:
    """The whole bot with user 1001 as its one owner (ADMIN_IDS=1001)."""
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids=str(OWNER_ID),
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        yield harness


async def audit(desk: BotHarness) -> list[AuditEntry]:
    return await desk.runtime.ingest.database.read(recent_audit)


async def editors(desk: BotHarness) -> list[int]:
    return [editor.user_id for editor in await desk.runtime.roles.editors()]


def people(desk: BotHarness) -> tuple[StandPerson, StandPerson, StandPerson]:
    stand = desk.stand
    return (
        stand.user(OWNER_ID, "Ольга"),
        stand.user(EDITOR_ID, "Мария", last_name="Петрова"),
        stand.user(STRANGER_ID, "Иван"),
    )


async def test_an_owner_adds_an_editor_who_sees_the_list_but_cannot_add(
    desk: BotHarness,
) -> None:
    olga, maria, _ivan = people(desk)
    olga_chat, maria_chat = desk.stand.private_chat(olga), desk.stand.private_chat(maria)
    await desk.send(maria, maria_chat, "/start")  # Maria has written to the bot: it knows her

    [empty] = await desk.send(olga, olga_chat, "/admins")
    assert empty.text is not None
    assert empty.text.startswith("Владельцы (ADMIN_IDS):\n• 1001\nРедакторы:\nпока нет\n")
    assert empty.reply_markup is None

    [added] = await desk.send(olga, olga_chat, f"/admins add {EDITOR_ID}")
    assert added.text is not None and added.text.startswith(
        "Добавлен редактор: Мария Петрова (2002)."
    )
    [entry] = await audit(desk)
    assert (entry.actor_id, entry.action, entry.subject, entry.before) == (
        OWNER_ID,
        ACTION_EDITOR_ADD,
        f"user:{EDITOR_ID}",
        None,
    )
    assert entry.after == {"role": "editor", "name": "Мария Петрова", "added_by": OWNER_ID}
    assert entry.at == desk.clock()

    [listing] = await desk.send(maria, maria_chat, "/admins")
    assert listing.text == (
        "Владельцы (ADMIN_IDS):\n• 1001\nРедакторы:\n• Мария Петрова (2002) · 2024-06-10"
    )
    assert listing.reply_markup is None  # editors see the list only

    for attempt in (f"/admins add {STRANGER_ID}", f"/admins remove {EDITOR_ID}"):
        [refused] = await desk.send(maria, maria_chat, attempt)
        assert refused.text == OWNERS_ONLY
    assert await editors(desk) == [EDITOR_ID]
    assert len(await audit(desk)) == 1


async def test_an_owner_removes_an_editor_with_the_button(desk: BotHarness) -> None:
    olga, maria, _ivan = people(desk)
    olga_chat = desk.stand.private_chat(olga)
    await desk.send(olga, olga_chat, f"/admins add {EDITOR_ID}")  # never wrote: no name

    [listing] = await desk.send(olga, olga_chat, "/admins")
    assert listing.button_texts() == [["❌ Убрать 2002"]]
    answer = await desk.press(olga, listing, button="❌ Убрать 2002")

    assert answer.text == "Убран."
    assert await editors(desk) == []
    assert listing.text is not None and listing.text.startswith(
        "Больше не редактор: 2002.\n\nВладельцы (ADMIN_IDS):\n• 1001\nРедакторы:\nпока нет"
    )
    assert listing.reply_markup is None
    removal, _addition = await audit(desk)
    assert (removal.action, removal.actor_id, removal.after) == (
        ACTION_EDITOR_REMOVE,
        OWNER_ID,
        None,
    )
    # a second press of the same (now gone) button changes nothing and says why
    desk.forge_button(listing, "again", EditorAction(act=Act.REMOVE, user=EDITOR_ID).pack())
    again = await desk.press(olga, listing, button="again")
    assert (again.text, again.show_alert) == ("2002 не редактор.", True)
    assert len(await audit(desk)) == 2  # noqa: PLR2004


async def test_an_owner_forwards_a_message_of_the_person_and_confirms(
    desk: BotHarness,
) -> None:
    olga, _maria, _ivan = people(desk)
    olga_chat = desk.stand.private_chat(olga)
    await desk.send(olga, olga_chat, "/start")
    forwarded = {
        "forward_origin": {
            "type": "user",
            "date": 1_700_000_000,
            "sender_user": {"id": 4004, "is_bot": False, "first_name": "Пётр"},
        }
    }
    await feed_message(desk, OWNER_ID, "Текст Петра", forwarded)
    offer = desk.stand.messages_in(olga_chat)[-1]
    assert offer.text == "Сделать этого человека редактором? Пётр (4004)"

    answer = await desk.press(olga, offer, button="✅ Сделать редактором")

    assert answer.text == "Добавлен."
    assert await editors(desk) == [4004]
    assert offer.text is not None and offer.text.startswith("Добавлен редактор: 4004.")
    assert offer.reply_markup is None

    hidden = {
        "forward_origin": {"type": "hidden_user", "date": 1_700_000_000, "sender_user_name": "X"}
    }
    await feed_message(desk, OWNER_ID, "Скрытый", hidden)
    note = desk.stand.messages_in(olga_chat)[-1]
    assert note.text is not None and note.text.startswith("X скрывает аккаунт")
    assert await editors(desk) == [4004]


async def feed_message(desk: BotHarness, user_id: int, text: str, extra: dict[str, Any]) -> None:
    """A message the stand cannot make (a forward), fed through the bot's real dispatcher;
    the bot's answers still go to the stand."""
    update = Update.model_validate(
        {
            "update_id": 900_000 + user_id,
            "message": {
                "message_id": 90_000,
                "date": 1_700_000_100,
                "chat": {"id": user_id, "type": "private", "first_name": "Ольга"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Ольга"},
                "text": text,
                **extra,
            },
        }
    )
    await desk.runtime.dispatcher.feed_update(desk.runtime.bot, update)


@pytest.mark.parametrize(
    "text", ["/admins", f"/admins add {STRANGER_ID}", f"/admins remove {EDITOR_ID}", "/admins x"]
)
async def test_every_admins_command_is_unknown_to_anyone_else(desk: BotHarness, text: str) -> None:
    olga, _maria, ivan = people(desk)
    await desk.send(olga, desk.stand.private_chat(olga), f"/admins add {EDITOR_ID}")
    ivan_chat = desk.stand.private_chat(ivan)

    [answer] = await desk.send(ivan, ivan_chat, text)

    assert answer.text == UNKNOWN_ADMINS
    assert await editors(desk) == [EDITOR_ID]
    assert len(await audit(desk)) == 1


@pytest.mark.parametrize(
    ("act", "user"), [(Act.ADD, STRANGER_ID), (Act.REMOVE, EDITOR_ID), (Act.ADD, 5005)]
)
async def test_every_admins_button_is_refused_to_anyone_else_and_to_editors(
    desk: BotHarness, act: Act, user: int
) -> None:
    olga, maria, ivan = people(desk)
    await desk.send(olga, desk.stand.private_chat(olga), f"/admins add {EDITOR_ID}")
    data = EditorAction(act=act, user=user).pack()
    for person, expected in ((ivan, (STALE, False)), (maria, (OWNERS_ONLY, True))):
        chat = desk.stand.private_chat(person)
        [hint] = await desk.send(person, chat, "привет")  # a message to hang the button on
        desk.forge_button(hint, "forged", data)

        answer = await desk.press(person, hint, button="forged")

        assert (answer.text, answer.show_alert) == expected
    assert await editors(desk) == [EDITOR_ID]
    assert len(await audit(desk)) == 1


# pure parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (None, Request(None, None)),
        ("", Request(None, None)),
        ("add 12345", Request(Act.ADD, 12345)),
        ("ADD id12345", Request(Act.ADD, 12345)),
        ("remove 7", Request(Act.REMOVE, 7)),
        ("rm 7", Request(Act.REMOVE, 7)),
        ("add", Request(Act.ADD, None)),
    ],
)
def test_admins_arguments(arguments: str | None, expected: Request) -> None:
    assert parse_request(arguments) == expected


@pytest.mark.parametrize(
    "arguments", ["make 1", "add x", "add 0", "add -5", "add 1 2", "add 99999999999999"]
)
def test_admins_arguments_written_wrong(arguments: str) -> None:
    with pytest.raises(UsageError):
        parse_request(arguments)


def _message(chat_type: str, sender: dict[str, Any] | None, **extra: Any) -> Message:
    return Message.model_validate(
        {
            "message_id": 1,
            "date": datetime(2026, 1, 1, tzinfo=UTC),
            "chat": Chat(id=-5 if chat_type != "private" else 1, type=chat_type),
            **({"from": User(**sender)} if sender else {}),
            "text": "x",
            **extra,
        }
    )


PETR = {"id": 4004, "is_bot": False, "first_name": "Пётр"}
A_BOT = {"id": 4005, "is_bot": True, "first_name": "Бот"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            _message(
                "private",
                PETR,
                forward_origin={"type": "user", "date": 1, "sender_user": PETR},
            ),
            Person(4004, "Пётр"),
        ),
        (
            _message(
                "private",
                PETR,
                forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "Аноним"},
            ),
            Hidden("Аноним"),
        ),
        (
            _message(
                "private", PETR, forward_origin={"type": "user", "date": 1, "sender_user": A_BOT}
            ),
            None,
        ),
        (
            _message(
                "private",
                PETR,
                forward_origin={
                    "type": "channel",
                    "date": 1,
                    "chat": {"id": -100, "type": "channel", "title": "К"},
                    "message_id": 3,
                },
            ),
            None,
        ),
        (_message("private", PETR), None),  # one's own message in a private chat
        (_message("supergroup", PETR), Person(4004, "Пётр")),  # a reply in a group
        (_message("supergroup", A_BOT), None),
        (_message("supergroup", None), None),
    ],
)
def test_whom_a_message_points_at(message: Message, expected: Person | Hidden | None) -> None:
    assert person_of(message) == expected


async def test_an_owner_replies_admins_add_to_a_forwarded_message(desk: BotHarness) -> None:
    olga, _maria, _ivan = people(desk)
    olga_chat = desk.stand.private_chat(olga)
    await desk.send(olga, olga_chat, "/start")
    forwarded = {
        "message_id": 89_999,
        "date": 1_700_000_000,
        "chat": {"id": OWNER_ID, "type": "private", "first_name": "Ольга"},
        "from": {"id": OWNER_ID, "is_bot": False, "first_name": "Ольга"},
        "text": "Текст Петра",
        "forward_origin": {
            "type": "user",
            "date": 1_700_000_000,
            "sender_user": {"id": 4004, "is_bot": False, "first_name": "Пётр"},
        },
    }
    command = {
        "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        "reply_to_message": forwarded,
    }

    await feed_message(desk, OWNER_ID, "/admins add", command)

    answer = desk.stand.messages_in(olga_chat)[-1]
    assert answer.text is not None and answer.text.startswith("Добавлен редактор: Пётр (4004).")
    assert await editors(desk) == [4004]
    [entry] = await audit(desk)
    assert entry.after == {"role": "editor", "name": "Пётр", "added_by": OWNER_ID}
