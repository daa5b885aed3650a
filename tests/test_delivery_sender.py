"""Stories of the sender draining the outbox through the strict Telegram stand.

Time is a manual clock shared by the stand's flood limits, the pacer and the outbox, so
waits of seconds take none; everything else is real (SQLite file, HTTP, aiogram's Bot).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramRetryAfter

from bot.delivery.pacing import PacingLimits
from bot.delivery.rendering import plain_text
from bot.delivery.sender import SenderPolicy, backoff, gives_up
from bot.delivery.throttle import pace_handler_bot
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority, story_key
from bot.domain.models import ChatKind
from bot.telegram.retry import RetryAfterMiddleware
from storage import outbox
from tests.delivery_harness import START, delivery_rig
from tests.telegram_stand import RateLimits

NEWS = "<b>РЖД</b>: протяженность путей БАМа увеличится на 3,5 тыс. км"


def texts(rig_messages: list[object]) -> list[str | None]:
    return [getattr(message, "text", None) for message in rig_messages]


async def test_a_story_reaches_private_chats_groups_and_a_channel_once_each(
    tmp_path: Path,
) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        people = [stand.private_chat(stand.user(1000 + n, f"Reader {n}")) for n in range(6)]
        groups = [stand.group("Завод"), stand.group("Цех", supergroup=True)]
        channel = stand.channel("Новости Прибайкалья")
        chats = [*people, *groups, channel]
        await rig.register(chats)
        assert await rig.broadcast(chats, NEWS) == len(chats)
        assert await rig.broadcast(chats, NEWS) == 0  # the same broadcast again: nothing new

        await rig.drain()

        for chat in chats:
            [message] = stand.messages_in(chat)
            assert message.text == plain_text(NEWS)
            assert message.entities
            assert message.entities[0]["type"] == "bold"
        rows = await rig.rows()
        assert {state for _, _, state, _, _ in rows} == {"sent"}
        by_chat = {chat_id: message_id for _, chat_id, _, message_id, _ in rows}
        for chat in chats:
            assert by_chat[chat.id] == stand.messages_in(chat)[0].message_id
        assert all(call.ok for call in stand.calls("sendMessage"))


async def test_priorities_go_urgent_instant_channel_digest(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path, policy=SenderPolicy(concurrency=1, batch=1)) as rig:
        stand = rig.stand
        chats = [stand.private_chat(stand.user(2000 + n, f"R{n}")) for n in range(4)]
        await rig.register(chats)
        order = [Priority.DIGEST, Priority.CHANNEL, Priority.INSTANT, Priority.URGENT]
        for chat, priority in zip(chats, order, strict=True):
            await rig.broadcast([chat], priority.name, key=priority.name, priority=priority)
        await rig.drain()
        sent = [call.params["text"] for call in stand.calls("sendMessage")]
        assert sent == ["URGENT", "INSTANT", "CHANNEL", "DIGEST"]


async def test_a_429_storm_is_honoured_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    """The stand allows 10 messages a second while the pacer believes in 30: Telegram
    refuses again and again. Every refusal pauses the sender for the wait asked; each message
    arrives once."""
    limits = RateLimits(global_per_second=10)
    async with delivery_rig(tmp_path, limits=limits) as rig:
        stand = rig.stand
        chats = [stand.private_chat(stand.user(3000 + n, f"R{n}")) for n in range(120)]
        await rig.register(chats)
        await rig.broadcast(chats, NEWS)
        started = rig.clock()

        await rig.drain()

        refused = [call for call in stand.calls("sendMessage") if call.error_code == 429]
        assert refused, "the storm did happen"
        assert all(len(stand.messages_in(chat)) == 1 for chat in chats)
        assert {state for _, _, state, _, _ in await rig.rows()} == {"sent"}
        # Honoured: a refused sender would keep hammering; this one is refused rarely, and
        # the whole broadcast takes about as long as 10 a second allows.
        assert len(refused) <= 120 // 10 + 2
        assert rig.clock() - started >= 120 / 10 - 1
        assert rig.sender.totals.scopes.get("global", 0) == len(refused)


async def test_429_for_one_chat_holds_that_chat_only(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        anna = stand.private_chat(stand.user(4001, "Анна"))
        others = [stand.private_chat(stand.user(4100 + n, f"R{n}")) for n in range(5)]
        await rig.register([anna, *others])
        for n in range(6):  # six pushes for Anna: three go at once, then one a second
            await rig.broadcast([anna], f"Новость {n}", key=f"a{n}")
        await rig.broadcast(others, NEWS)
        await rig.drain()
        assert [m.text for m in stand.messages_in(anna)] == [f"Новость {n}" for n in range(6)]
        assert all(len(stand.messages_in(chat)) == 1 for chat in others)
        assert not [call for call in stand.calls("sendMessage") if call.error_code == 429]


async def test_a_blocked_user_becomes_inactive_and_their_deliveries_are_cancelled(
    tmp_path: Path,
) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        boris = stand.user(5001, "Борис")
        vera = stand.user(5002, "Вера")
        chats = [stand.private_chat(boris), stand.private_chat(vera)]
        await rig.register(chats)
        await stand.block_bot(boris)
        await rig.broadcast(chats, NEWS, key="1")
        await rig.broadcast([chats[0]], "ещё одна", key="2", priority=Priority.DIGEST)

        await rig.drain()

        chat = await rig.subscriptions.chat(boris.id)
        assert chat is not None
        assert not chat.active
        assert "blocked" in (chat.inactive_reason or "")
        rows = {(chat_id, state) for _, chat_id, state, _, _ in await rig.rows()}
        assert rows == {(boris.id, "failed"), (boris.id, "cancelled"), (vera.id, "sent")}
        errors = [error for _, chat_id, _, _, error in await rig.rows() if chat_id == boris.id]
        assert all("blocked" in (error or "") for error in errors)
        assert len(stand.messages_in(chats[1])) == 1


async def test_a_chat_telegram_does_not_know_is_made_inactive(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        group = stand.group("Исчезнувшая группа")
        await rig.register([group])
        stand.forget_chat(group)
        await rig.broadcast([group], NEWS)
        await rig.drain()
        chat = await rig.subscriptions.chat(group.id)
        assert chat is not None
        assert not chat.active
        [(_, _, state, _, error)] = await rig.rows()
        assert state == "failed"
        assert "chat not found" in (error or "")


@pytest.mark.parametrize("supergroup_known", [False, True])
async def test_a_group_migrated_to_a_supergroup_gets_its_message_there(
    tmp_path: Path, supergroup_known: bool
) -> None:
    """Whether or not the supergroup has written to the bot already (and has a chat row)."""
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        group = stand.group("Литейный цех")
        await rig.register([group])
        await rig.broadcast([group], NEWS, key="1")
        await rig.broadcast([group], "вторая", key="2", priority=Priority.DIGEST)
        supergroup = await stand.migrate_group(group)
        if supergroup_known:
            await rig.register([supergroup])

        await rig.drain()

        delivered = [m for m in stand.messages_in(supergroup) if m.text is not None]
        assert [m.text for m in delivered] == [plain_text(NEWS), "вторая"]
        moved = await rig.subscriptions.chat(supergroup.id)
        assert moved is not None
        assert moved.active
        rows = await rig.rows()
        assert {(chat_id, state) for _, chat_id, state, _, _ in rows} == {(supergroup.id, "sent")}
        assert [message_id for *_, message_id, _ in rows] == [m.message_id for m in delivered]


async def test_html_telegram_cannot_parse_is_sent_as_plain_text_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        chat = stand.private_chat(stand.user(6001, "Галина"))
        await rig.register([chat])
        await rig.broadcast([chat], "<b>Цены &amp; тарифы <i>на 2027</b>")
        with caplog.at_level(logging.ERROR, logger="bot.delivery.sender"):
            await rig.drain()
        [message] = stand.messages_in(chat)
        assert message.text == "Цены & тарифы на 2027"
        assert not message.entities
        assert "could not parse our HTML" in caplog.text
        [(_, _, state, message_id, _)] = await rig.rows()
        assert (state, message_id) == ("sent", message.message_id)


async def test_server_errors_are_retried_with_back_off(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        chat = stand.private_chat(stand.user(7001, "Дмитрий"))
        await rig.register([chat])
        stand.fail_next("sendMessage", 2, error_code=502, description="Bad Gateway")
        stand.drop_next("sendMessage")
        await rig.broadcast([chat], NEWS)
        started = rig.clock()
        await rig.drain()
        [message] = stand.messages_in(chat)
        assert message.text == plain_text(NEWS)
        waited = rig.clock() - started
        assert waited >= (backoff(1) + backoff(2) + backoff(3)).total_seconds()
        [(_, _, state, _, _)] = await rig.rows()
        assert state == "sent"


async def test_a_delivery_failing_past_the_deadline_is_marked_failed(tmp_path: Path) -> None:
    policy = SenderPolicy(retry_deadline=timedelta(minutes=2))
    async with delivery_rig(tmp_path, policy=policy) as rig:
        stand = rig.stand
        chat = stand.private_chat(stand.user(7002, "Елена"))
        await rig.register([chat])
        stand.fail_next("sendMessage", 1000, error_code=500)
        await rig.broadcast([chat], NEWS)
        await rig.drain()
        [(_, _, state, _, error)] = await rig.rows()
        assert state == "failed"
        assert error is not None
        assert error.startswith("gave up after")
        assert "Internal Server Error" in error
        assert stand.messages_in(chat) == []


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 5), (2, 10), (3, 20), (8, 600), (40, 600), (0, 5)]
)
def test_back_off_doubles_up_to_ten_minutes(attempts: int, seconds: int) -> None:
    assert backoff(attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("first", "elapsed", "expected"),
    [(True, timedelta(hours=23), False), (True, timedelta(hours=24), True), (False, None, False)],
)
def test_the_deadline_counts_from_the_first_attempt(
    first: bool, elapsed: timedelta | None, expected: bool
) -> None:
    now = START + timedelta(days=2)
    first_attempt = now - elapsed if first and elapsed is not None else None
    assert gives_up(first_attempt, now, timedelta(hours=24)) is expected


async def test_a_reply_and_a_push_to_one_chat_keep_their_order_through_a_429(
    tmp_path: Path,
) -> None:
    """A handler's reply is refused (429) and waits; a push to the same chat decided after it
    is sent after it, and a second reply after both."""
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        chat = stand.private_chat(stand.user(8001, "Жанна"))
        await rig.register([chat])
        handlers_bot = stand.make_bot()

        async def slow_sleep(seconds: float) -> None:  # time passes, and the loop runs meanwhile
            rig.clock.advance(seconds)
            await asyncio.sleep(0.3)

        pace_handler_bot(handlers_bot, rig.throttle, retry=RetryAfterMiddleware(sleep=slow_sleep))
        try:
            stand.fail_next(
                "sendMessage",
                error_code=429,
                description="Too Many Requests: retry after 5",
                parameters={"retry_after": 5},
            )
            reply = asyncio.create_task(handlers_bot.send_message(chat.id, "ответ 1"))
            await stand.wait_for(lambda: bool(stand.calls("sendMessage")))
            await rig.broadcast([chat], "пуш")
            push = asyncio.create_task(rig.sender.run_once())
            for _ in range(100):  # the sender has claimed the push and waits for the chat
                if (await rig.counts())["sending"]:
                    break
                await asyncio.sleep(0.005)
            second = asyncio.create_task(handlers_bot.send_message(chat.id, "ответ 2"))
            await asyncio.gather(reply, push, second)
        finally:
            await handlers_bot.session.close()
        assert [m.text for m in stand.messages_in(chat)] == ["ответ 1", "пуш", "ответ 2"]


async def test_a_handler_reply_is_paced_with_the_sender(tmp_path: Path) -> None:
    """Five quick replies to one private chat: the stand would refuse the fourth, the pacing
    middleware waits instead."""
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        chat = stand.private_chat(stand.user(8002, "Зоя"))
        handlers_bot = stand.make_bot()
        pace_handler_bot(handlers_bot, rig.throttle, retry=RetryAfterMiddleware(max_retries=0))
        try:
            for n in range(5):
                await handlers_bot.send_message(chat.id, f"ответ {n}")
        except TelegramRetryAfter:
            pytest.fail("a reply went past the chat's limit")
        finally:
            await handlers_bot.session.close()
        assert [m.text for m in stand.messages_in(chat)] == [f"ответ {n}" for n in range(5)]
        assert rig.clock() > 1000.0 + 1.9  # two of them waited about a second each


async def test_pacing_off_sends_without_waiting(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path, limits=RateLimits.off(), pacing=PacingLimits.off()) as rig:
        stand = rig.stand
        chats = [stand.private_chat(stand.user(9000 + n, f"R{n}")) for n in range(200)]
        await rig.register(chats)
        await rig.broadcast(chats, NEWS)
        report = await rig.sender.run_once()
        assert report.sent == 200
        assert rig.clock() == 1000.0
        counted = Counter(call.params["chat_id"] for call in stand.calls("sendMessage"))
        assert set(counted.values()) == {1}


async def test_an_article_goes_out_as_its_card_text_with_a_preview_or_a_photo(
    tmp_path: Path,
) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        anna = stand.private_chat(stand.user(9501, "Анна"))
        john = stand.private_chat(stand.user(9502, "John", language_code="en"))
        await rig.register([anna])
        await rig.subscriptions.register_chat(
            john.id, kind=ChatKind.PRIVATE, title="", language_code="en"
        )
        plain_id, plain_story = await rig.store_article(title="БАМ удлинят на 3,5 тыс. км")
        photo_id, photo_story = await rig.store_article(
            title="Новый мост через Ангару", image_url="https://irk.example/bridge.jpg"
        )
        now = rig.now()
        rows = [
            PlannedDelivery(
                chat_id=chat.id,
                kind=DeliveryKind.ARTICLE,
                dedupe_key=story_key(story),
                priority=Priority.INSTANT,
                due_at=now,
                article_id=article,
            )
            for chat in (anna, john)
            for article, story in ((plain_id, plain_story), (photo_id, photo_story))
        ]
        await rig.database.write(lambda c: outbox.enqueue(c, rows, now=now))

        await rig.drain()

        text_card, photo_card = stand.messages_in(anna)
        assert (text_card.text or "").startswith("БАМ удлинят на 3,5 тыс. км")
        assert "#Иркутская_область" in (text_card.text or "")
        assert photo_card.media
        assert (photo_card.caption or "").startswith("Новый мост через Ангару")
        english_text, _english_photo = stand.messages_in(john)
        assert "#Irkutsk_Oblast" in (english_text.text or "")
        [preview] = [
            call.params["link_preview_options"]
            for call in stand.calls("sendMessage")
            if call.params["chat_id"] == anna.id
        ]
        assert "irk.example" in str(preview)


async def test_a_photo_telegram_cannot_fetch_is_sent_as_the_text_card(tmp_path: Path) -> None:
    async with delivery_rig(tmp_path) as rig:
        stand = rig.stand
        anna = stand.private_chat(stand.user(9601, "Анна"))
        await rig.register([anna])
        article, story = await rig.store_article(
            title="Новый мост через Ангару", image_url="https://irk.example/bridge.jpg"
        )
        stand.fail_next(
            "sendPhoto", error_code=400, description="Bad Request: failed to get HTTP URL content"
        )
        now = rig.now()
        row = PlannedDelivery(
            chat_id=anna.id,
            kind=DeliveryKind.ARTICLE,
            dedupe_key=story_key(story),
            priority=Priority.INSTANT,
            due_at=now,
            article_id=article,
        )
        await rig.database.write(lambda c: outbox.enqueue(c, [row], now=now))
        await rig.drain()
        [card] = stand.messages_in(anna)
        assert not card.media
        assert (card.text or "").startswith("Новый мост через Ангару")
