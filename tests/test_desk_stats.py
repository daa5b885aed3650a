"""/stats: an editor added by the owner reads the figures and gets a real PNG chart, through the
strict fake Bot API; anyone else finds no such command. Figures come from real parts: the
subscription service, the ingest of the fixture feeds, the outbox units."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from bot.desk.chart import HEIGHT, WIDTH, Day, draw_chart
from bot.domain.delivery import DeliveryKind, PlannedDelivery, Priority
from bot.domain.models import ChatKind
from bot.tagging.language import Language
from storage.audit import recent_audit
from storage.database import Database
from storage.outbox import enqueue, mark_failed, mark_sent
from tests.bot_harness import BotHarness, running_bot
from tests.conftest import SettingsFactory
from tests.telegram_stand import TelegramStand
from tests.web_stand import WebStand

OWNER_ID = 1001
EDITOR_ID = 2002
STRANGER_ID = 3003
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OWNERS_ONLY = "Добавлять и убирать редакторов могут только владельцы бота (ADMIN_IDS)."


@pytest_asyncio.fixture(name="desk")
async def desk_fixture(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> AsyncIterator[BotHarness]:
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids=str(OWNER_ID),
    )
    async with running_bot(telegram_stand, web_stand, settings, language) as harness:
        yield harness


async def seed(desk: BotHarness) -> None:
    """Three readers of Irkutsk news (one paused, one who blocked the bot), one of any region;
    deliveries sent an hour and three days ago, one failed; a disabled source."""
    await desk.seed_articles()
    subscriptions, now = desk.runtime.subscriptions, desk.clock()
    for chat_id in (501, 502, 503, 504):
        await subscriptions.register_chat(
            chat_id, kind=ChatKind.PRIVATE, title=f"Reader {chat_id}", language_code="ru"
        )
        await subscriptions.ensure(chat_id)
        if chat_id != 504:  # noqa: PLR2004
            await subscriptions.toggle(chat_id, 0, "regions", "RU-IRK", selected=True)
    await subscriptions.set_paused(502, 0, paused=True)
    await subscriptions.deactivate(503, "blocked the bot")

    def deliveries(conn: sqlite3.Connection) -> None:
        rows = [
            PlannedDelivery(
                chat_id=chat_id,
                kind=DeliveryKind.BROADCAST,
                dedupe_key=f"broadcast:{n}",
                priority=Priority.DIGEST,
                due_at=now,
                body="Объявление",
            )
            for n, chat_id in enumerate((501, 501, 504, 503, 504))
        ]
        enqueue(conn, rows, now=now - timedelta(days=3))
        ids = [row[0] for row in conn.execute("SELECT id FROM deliveries ORDER BY id")]
        mark_sent(conn, ids[0], message_id=10, now=now - timedelta(hours=1))
        mark_sent(conn, ids[1], message_id=11, now=now - timedelta(hours=2))
        mark_sent(conn, ids[2], message_id=12, now=now - timedelta(days=3))
        mark_failed(conn, ids[3], reason="Forbidden: bot was blocked by the user", now=now)
        conn.execute(
            "UPDATE sources SET disabled_reason = 'HTTP 404: страница не найдена',"
            " consecutive_errors = 10 WHERE name = 'lipetsk-list'"
        )

    await desk.runtime.ingest.database.write(deliveries)


async def test_an_editor_reads_stats_with_a_real_png_chart(desk: BotHarness) -> None:
    stand = desk.stand
    olga, maria = stand.user(OWNER_ID, "Ольга"), stand.user(EDITOR_ID, "Мария")
    await desk.send(olga, stand.private_chat(olga), f"/admins add {EDITOR_ID}")
    await seed(desk)
    maria_chat = stand.private_chat(maria)

    [figures, chart] = await desk.send(maria, maria_chat, "/stats")

    assert figures.text is not None
    lines = figures.text.split("\n")
    assert lines[0] == "Статистика на 10.06.2024 06:00 UTC"
    assert "Подписчики: 4 (активны 2 · на паузе 1 · заблокировали 1)" in lines
    region = lines.index("По регионам:")
    assert lines[region + 1 : region + 3] == [
        "• Иркутская область: 3 (активны 1 · на паузе 1 · заблокировали 1)",
        "• любой регион: 1 (активны 1 · на паузе 0 · заблокировали 0)",
    ]
    assert "за 24 часа: отправлено 2, ошибок 0" in lines  # it failed on its first try, 3 days ago
    assert "за 7 дней: отправлено 3, ошибок 1" in lines
    assert "ждут отправки сейчас: 1" in lines
    reasons = lines.index("Почему не доставлено (7 дней):")
    assert lines[reasons + 1] == "• Forbidden: bot was blocked by the user — 1"
    busiest = lines.index("Самые активные источники (7 дней):")
    assert lines[busiest + 1].startswith("• ")
    assert lines[busiest + 1].split(": новостей ")[1].isdigit()
    failing = lines.index("Источники с ошибками:")
    assert lines[failing + 1] == "• lipetsk-list — отключён: HTTP 404: страница не найдена"

    assert chart.has_media and "photo" in chart.media
    assert chart.caption is not None and chart.caption.startswith("По дням (UTC) за 30 дней")
    # the same figures drawn again give the very bytes the bot uploaded: check them
    png = await desk.runtime.stats.chart(await desk.runtime.stats.snapshot())
    assert png.startswith(PNG_SIGNATURE)
    assert chart.media["photo"][-1]["file_size"] == len(png)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.size == (WIDTH, HEIGHT)
    upload = [call for call in stand.calls("sendPhoto") if call.ok][-1]
    reference = upload.params["photo"].removeprefix("attach://")
    assert upload.params[reference] == f"<file 'stats.png', {len(png)} bytes>"

    # the editor may read, not manage: /admins add is refused, and the audit log holds only
    # the owner's addition of her
    [refused] = await desk.send(maria, maria_chat, f"/admins add {STRANGER_ID}")
    assert (
        refused.text == "Добавлять и убирать редакторов могут только владельцы бота (ADMIN_IDS)."
    )
    [entry] = await desk.runtime.ingest.database.read(recent_audit)
    assert (entry.actor_id, entry.action, entry.subject) == (
        OWNER_ID,
        "editor.add",
        f"user:{EDITOR_ID}",
    )


@pytest.mark.parametrize("text", ["/stats", "/stats now"])
async def test_stats_is_an_unknown_command_to_anyone_else(desk: BotHarness, text: str) -> None:
    ivan = desk.stand.user(STRANGER_ID, "Иван")
    chat = desk.stand.private_chat(ivan)

    [answer] = await desk.send(ivan, chat, text)

    assert answer.text == (
        "Неизвестная команда: /stats\nОтправьте /help, чтобы узнать, что я умею."
    )
    assert desk.stand.calls("sendPhoto") == []


async def test_an_empty_bot_has_stats_too(desk: BotHarness) -> None:
    olga = desk.stand.user(OWNER_ID, "Ольга")
    [figures, chart] = await desk.send(olga, desk.stand.private_chat(olga), "/stats")
    assert figures.text is not None
    assert "Подписчики: 0 (активны 0 · на паузе 0 · заблокировали 0)" in figures.text
    assert "По регионам:\nпока никого" in figures.text
    assert chart.has_media


@pytest.mark.parametrize(
    "days",
    [
        [Day(date(2026, 11, 1), 0, 0)],
        [Day(date(2026, 11, 1) + timedelta(days=n), n * 1000, n % 3) for n in range(30)],
        [Day(date(2026, 11, 1) + timedelta(days=n), 5, 0) for n in range(30)],
    ],
)
def test_the_chart_is_a_png_of_the_set_size(days: list[Day]) -> None:
    png = draw_chart(days)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH, HEIGHT)


def test_no_days_no_chart() -> None:
    with pytest.raises(ValueError, match="no days"):
        draw_chart([])


async def test_delivery_counts_use_the_indexes_of_migration_0006(tmp_path: Path) -> None:
    """/stats must not scan the whole outbox on the database thread (see storage.stats)."""
    database = await Database.open(tmp_path / "db.sqlite3")
    try:

        def plans(conn: sqlite3.Connection) -> str:
            found = []
            for sql in (
                "SELECT COUNT(*) FROM deliveries WHERE state = 'sent' AND sent_at >= 'x'",
                "SELECT COUNT(*) FROM deliveries WHERE state = 'failed'"
                " AND COALESCE(first_attempt_at, created_at) >= 'x'",
            ):
                found += [str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            return "\n".join(found)

        plan = await database.read(plans)
    finally:
        await database.close()
    assert "deliveries_sent_at" in plan
    assert "deliveries_failed_at" in plan
