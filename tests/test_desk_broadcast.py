"""/broadcast: an owner announces to the readers of a region or to everyone, through the running
bot, the strict fake Bot API, the real outbox and sender; paused and resumed, cancelled,
continued after a restart; the progress message edited by the progress job; nothing of it
reachable by anyone else. Plus the pure parts (digit groups, the time left)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.config import Settings
from bot.desk.broadcasts import group_digits, minutes_left
from bot.tagging.language import Language
from storage import outbox
from storage.audit import recent_audit
from tests.bot_harness import BotHarness, running_bot
from tests.telegram_stand import Person, StandChat, StandMessage, TelegramStand
from tests.web_stand import WebStand

OWNER_ID = 1001
STRANGER_ID = 3003
ANNOUNCEMENT = "Вебинар для экспортёров <18+> & «бонусы»: 12 декабря в 10:00"
"""Plain text with the characters HTML would choke on: the readers must see exactly this."""


@pytest.fixture(name="desk")
def desk_fixture(owned_bot: BotHarness) -> BotHarness:
    """The whole bot with user 1001 as its one owner."""
    return owned_bot


async def readers(desk: BotHarness) -> dict[str, StandChat]:
    return (await reader_people(desk))[0]


async def reader_people(desk: BotHarness) -> tuple[dict[str, StandChat], dict[str, Person]]:
    """Two readers of Irkutsk news, one of Lipetsk, one of Irkutsk who paused her news."""
    stand, chats, people = desk.stand, {}, {}
    for user_id, name, region in (
        (1101, "Анна", "RU-IRK"),
        (1102, "Борис", "RU-IRK"),
        (1103, "Лена", "RU-LIP"),
        (1104, "Вера", "RU-IRK"),
    ):
        people[name] = stand.user(user_id, name)
        chats[name] = stand.private_chat(people[name])
        await desk.send(people[name], chats[name], f"/start region-{region}")
    await desk.send(people["Вера"], chats["Вера"], "/pause")
    paused = await desk.subscription(1104)
    assert paused is not None and paused.paused
    return chats, people


def announcements(desk: BotHarness, chat: StandChat) -> list[StandMessage]:
    return [m for m in desk.stand.messages_in(chat) if m.body == ANNOUNCEMENT]


async def prepare(
    desk: BotHarness, owner: Person, audience: str, *, typed: bool = False
) -> StandMessage:
    """The owner's dialogue up to the confirmation (typing the audience: a wrong name first);
    the confirmation message."""
    chat = desk.stand.private_chat(owner)
    [ask] = await desk.send(owner, chat, "/broadcast")
    assert ask.body is not None and ask.body.startswith("Рассылка: кому отправить?")
    if typed:
        [unknown] = await desk.send(owner, chat, "Нарния, Иркутская область")
        assert unknown.body == (
            "Не знаю регион «Нарния»: напишите название иначе или нажмите кнопку."
        )
        [to] = await desk.send(owner, chat, audience)
    else:
        await desk.press(owner, ask, button=audience)
        [to] = [m for m in desk.stand.messages_in(chat) if m.message_id > ask.message_id]
    assert to.body is not None and "Теперь пришлите текст объявления" in to.body
    preview, confirm = await desk.send(owner, chat, ANNOUNCEMENT)
    assert preview.body == ANNOUNCEMENT  # exactly what the readers will get
    assert confirm.button_texts() == [["Отправить", "Отмена"]]
    return confirm


def progress_of(desk: BotHarness, confirm: StandMessage) -> StandMessage:
    [now] = [m for m in desk.stand.messages_in(confirm.chat) if m.message_id == confirm.message_id]
    return now


async def deliveries(desk: BotHarness) -> list[tuple[int, str, str | None]]:
    def rows(conn: sqlite3.Connection) -> list[tuple[int, str, str | None]]:
        return conn.execute(
            "SELECT chat_id, state, error FROM deliveries"
            " WHERE kind = 'broadcast' ORDER BY chat_id"
        ).fetchall()

    return await desk.runtime.ingest.database.read(rows)


async def test_a_broadcast_to_a_region_reaches_exactly_its_readers_and_shows_its_progress(
    desk: BotHarness,
) -> None:
    chats, people = await reader_people(desk)
    owner = desk.stand.user(OWNER_ID, "Ольга")
    confirm = await prepare(desk, owner, "Иркутская область", typed=True)
    assert confirm.body is not None
    assert "Его получат чатов: 2 (Иркутская область). Отправить?" in confirm.body  # not Вера

    await desk.press(owner, confirm, button="Отправить")
    progress = progress_of(desk, confirm)
    assert progress.body is not None
    assert "📣 Рассылка №1: Иркутская область" in progress.body
    assert "Отправлено 0 из 2 · ошибок 0 · осталось ≈ 1 мин" in progress.body
    assert progress.button_texts() == [["⏸ Пауза", "✖ Отменить"]]
    edits = len(desk.stand.calls("editMessageText"))

    await desk.stand.block_bot(people["Борис"])  # he will not get it: an error
    await desk.settle()
    await desk.runtime.sender.run_once()
    assert [len(announcements(desk, chats[n])) for n in ("Анна", "Борис", "Лена", "Вера")] == [
        1,
        0,
        0,
        0,
    ]
    assert await desk.runtime.broadcasts.refresh_all() == 1  # the progress job's pass
    progress = progress_of(desk, confirm)
    assert progress.body is not None
    assert "Готово: отправлено 1 из 2 · ошибок 1" in progress.body
    assert progress.button_texts() == []
    assert len(desk.stand.calls("editMessageText")) == edits + 1
    assert await desk.runtime.broadcasts.refresh_all() == 0  # done: no more edits

    entries = await desk.runtime.ingest.database.read(
        lambda conn: recent_audit(conn, subject="broadcast:1")
    )
    assert [(e.actor_id, e.action) for e in entries] == [(OWNER_ID, "broadcast.start")]
    assert entries[0].after["total"] == 2  # noqa: PLR2004
    assert entries[0].after["regions"] == ["RU-IRK"]


async def test_a_paused_broadcast_sends_nothing_until_resumed_then_everything(
    desk: BotHarness,
) -> None:
    chats = await readers(desk)
    owner = desk.stand.user(OWNER_ID, "Ольга")
    confirm = await prepare(desk, owner, "Всем читателям")
    assert confirm.body is not None and "Его получат чатов: 3 (всем читателям)" in confirm.body
    await desk.press(owner, confirm, button="Отправить")
    await desk.press(owner, progress_of(desk, confirm), button="⏸ Пауза")
    progress = progress_of(desk, confirm)
    assert progress.body is not None
    assert "На паузе: отправлено 0 из 3 · ошибок 0 · ждут 3" in progress.body
    assert progress.button_texts() == [["▶ Продолжить", "✖ Отменить"]]

    desk.clock.advance(timedelta(minutes=10))
    report = await desk.runtime.sender.run_once()
    assert report.sent == 0
    assert all(not announcements(desk, chat) for chat in chats.values())
    assert {state for _chat, state, _error in await deliveries(desk)} == {"pending"}

    await desk.press(owner, progress_of(desk, confirm), button="▶ Продолжить")
    await desk.runtime.sender.run_once()
    assert [len(announcements(desk, chats[n])) for n in ("Анна", "Борис", "Лена", "Вера")] == [
        1,
        1,
        1,
        0,
    ]
    await desk.runtime.broadcasts.refresh_all()
    progress = progress_of(desk, confirm)
    assert progress.body is not None and "Готово: отправлено 3 из 3" in progress.body
    entries = await desk.runtime.ingest.database.read(
        lambda conn: recent_audit(conn, subject="broadcast:1")
    )
    assert [e.action for e in reversed(entries)] == [
        "broadcast.start",
        "broadcast.pause",
        "broadcast.resume",
    ]


async def test_a_cancelled_broadcast_cancels_its_pending_messages_with_the_reason(
    desk: BotHarness,
) -> None:
    chats = await readers(desk)
    owner = desk.stand.user(OWNER_ID, "Ольга")
    confirm = await prepare(desk, owner, "Всем читателям")
    await desk.press(owner, confirm, button="Отправить")
    await desk.press(owner, progress_of(desk, confirm), button="✖ Отменить")

    await desk.runtime.sender.run_once()
    assert all(not announcements(desk, chat) for chat in chats.values())
    rows = await deliveries(desk)
    assert len(rows) == 3  # noqa: PLR2004
    assert {(state, error) for _chat, state, error in rows} == {
        ("cancelled", f"broadcast cancelled by admin {OWNER_ID}")
    }
    progress = progress_of(desk, confirm)
    assert progress.body is not None
    assert "Отменено: отправлено 0 из 3 · ошибок 0 · отменено 3" in progress.body
    assert progress.button_texts() == []
    # the buttons of a cancelled broadcast are out of date
    desk.forge_button(progress, "resume", "bc:resume:1")
    answer = await desk.press(owner, progress, callback_data="bc:resume:1")
    assert answer.text is not None and "устарела" in answer.text


async def test_a_restart_in_the_middle_continues_the_broadcast(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    owned_settings: Settings,
    language: Language,
) -> None:
    async with running_bot(telegram_stand, web_stand, owned_settings, language) as desk:
        chats = await readers(desk)
        owner = desk.stand.user(OWNER_ID, "Ольга")
        confirm = await prepare(desk, owner, "Всем читателям")
        await desk.press(owner, confirm, button="Отправить")
        # The sender has claimed one message and the process dies before Telegram answers.
        now = desk.clock()
        [claimed] = await desk.runtime.ingest.database.write(
            lambda conn: outbox.claim_due(conn, now=now, limit=1)
        )
        assert claimed.body is not None and claimed.body.startswith("Вебинар")

    async with running_bot(telegram_stand, web_stand, owned_settings, language) as desk:
        await desk.runtime.sender.run_once()
        await desk.runtime.broadcasts.refresh_all()
        assert [len(announcements(desk, chats[n])) for n in ("Анна", "Борис", "Лена")] == [1, 1, 1]
        progress = progress_of(desk, confirm)
        assert (
            progress.body is not None and "Готово: отправлено 3 из 3 · ошибок 0" in progress.body
        )


async def test_nobody_but_an_admin_reaches_a_broadcast_command_or_button(
    desk: BotHarness,
) -> None:
    chats = await readers(desk)
    owner = desk.stand.user(OWNER_ID, "Ольга")
    confirm = await prepare(desk, owner, "Всем читателям")
    stranger = desk.stand.user(STRANGER_ID, "Иван")
    own_chat = desk.stand.private_chat(stranger)

    [refused] = await desk.send(stranger, own_chat, "/broadcast")
    assert refused.body is not None and refused.body.startswith("Неизвестная команда")
    [echoed] = await desk.send(stranger, own_chat, "Всем читателям")  # no dialogue of theirs
    assert "Теперь пришлите текст" not in (echoed.body or "")

    target = refused
    for data in ("bca:all", "bca:r:RU-IRK", "bc:go:1", "bc:pause:1", "bc:resume:1", "bc:cancel:1",
                 "bc:drop:1"):  # fmt: skip
        desk.forge_button(target, data, data)
        answer = await desk.press(stranger, target, callback_data=data)
        assert answer.text is not None and "устарела" in answer.text

    broadcast = await desk.runtime.broadcasts.get(1)
    assert broadcast is not None and broadcast.state == "draft"  # nothing started or dropped
    assert await deliveries(desk) == []
    entries = await desk.runtime.ingest.database.read(recent_audit)
    assert all(entry.actor_id != STRANGER_ID for entry in entries)
    assert all(not announcements(desk, chat) for chat in chats.values())
    # the owner's confirmation still works
    await desk.press(owner, confirm, button="Отправить")
    assert len(await deliveries(desk)) == 3  # noqa: PLR2004


@pytest.mark.parametrize(
    ("number", "language", "shown"),
    [
        (0, "ru", "0"),
        (1234, "ru", "1\u00a0234"),
        (5000, "en", "5,000"),
        (1234567, "ru", "1\u00a0234\u00a0567"),
    ],
)
def test_digits_are_grouped_as_each_language_writes_them(
    number: int, language: str, shown: str
) -> None:
    assert group_digits(number, language) == shown


START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "sent", "elapsed", "rate", "minutes"),
    [
        (0, 10, 60, 30.0, 0),  # nothing left
        (10, 0, 0, 30.0, 1),  # a few: under a minute is shown as one
        (5000, 0, 0, 30.0, 3),  # not started: the configured rate (5000 / 30 s = 2.8 min)
        (3766, 1234, 2, 30.0, 3),  # two seconds are too few to judge: the configured rate
        (3766, 1234, 120, 30.0, 7),  # seen: 1234 in 2 min, so 3766 more take 6.1 min
    ],
)
def test_the_time_left_comes_from_the_rate_seen_once_there_is_one(
    left: int, sent: int, elapsed: int, rate: float, minutes: int
) -> None:
    started = START if elapsed else None
    now = START + timedelta(seconds=elapsed)
    assert minutes_left(left, sent=sent, started=started, now=now, rate=rate) == minutes
