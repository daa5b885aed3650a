"""Stories of reading: /latest for the chat or a region typed in any form, and /search.

Reading changes no articles, so the stories share one bot with its articles ingested once
(each story with its own reader).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.tagging.language import Language
from storage.articles import ArticleRepository
from tests.bot_harness import NOW, BotHarness, FeedItem, standalone_bot
from tests.telegram_stand import StandMessage

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE_IRKUTSK = [  # newest first, as tests/fixtures/ingest/irkutsk.rss dates them
    "Интервью с экспортером: как иркутская фабрика продает одежду в Монголию",
    "РЖД в 2024 году построят около 1 тыс. км железнодорожных путей на Восточном полигоне",
    "Иркутские экспортеры леса вышли на рынок Китая",
]
LIPETSK = "Липецкие экспортеры представили продукцию на выставке в Казахстане"
MARKUP_TITLE = "Компания <b>&</b> партнёры открыла склад в Иркутске"
# A feed's <title> is HTML: the title *text* «<b>&</b>» travels escaped once more.
MARKUP_ITEM = FeedItem(
    "markup",
    "Компания &lt;b&gt;&amp;&lt;/b&gt; партнёры открыла склад в Иркутске",
    NOW - timedelta(days=1),
    "Склад на 5 тыс. кв. м построен в Ангарске.",
)
EXTRA = [
    FeedItem(
        f"irk-extra-{day}",
        f"Иркутский завод № {day} отгрузил продукцию на экспорт",
        NOW - timedelta(days=day),
        f"Партия номер {day} ушла покупателям в Китай.",
    )
    for day in range(2, 11)
]
IRKUTSK_PAGE_1 = [MARKUP_TITLE, *(item.title for item in EXTRA)]  # 10 newest of 13
GOLD = [  # Magadan: the only articles with «золото», none of them Irkutsk's
    FeedItem(
        f"gold-{number}",
        f"Колымский рудник № {number} увеличил выпуск",
        NOW - timedelta(hours=number),
        f"Добыто золото в Магаданской области: партия {number} отправлена на аффинаж.",
    )
    for number in range(1, 12)
]
OLDER_GOLD = FeedItem(
    "gold-title",
    "Золото Колымы идёт на экспорт",
    NOW - timedelta(days=20),
    "Старатели Магаданской области нарастили добычу.",
)
NO_NEWS = "Новостей пока нет. Новые статьи появятся здесь, как только выйдут."


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reading(
    tmp_path_factory: pytest.TempPathFactory, language: Language
) -> AsyncIterator[BotHarness]:
    async with standalone_bot(tmp_path_factory.mktemp("reading"), language) as harness:
        await harness.seed_articles([MARKUP_ITEM, *EXTRA, *GOLD, OLDER_GOLD])
        yield harness


def teaser_titles(message: StandMessage) -> list[str]:
    """The titles shown on a page: each is the text of one ``text_link`` entity."""
    text = (message.text or "").encode("utf-16-le")
    return [
        text[2 * entity["offset"] : 2 * (entity["offset"] + entity["length"])].decode("utf-16-le")
        for entity in message.entities
        if entity["type"] == "text_link"
    ]


def links(message: StandMessage) -> list[Any]:
    return [entity["url"] for entity in message.entities if entity["type"] == "text_link"]


async def test_latest_shows_the_chats_news_as_linked_teasers_ten_a_page(
    reading: BotHarness,
) -> None:
    stand = reading.stand
    anna = stand.user(1001, "Анна")
    chat = stand.private_chat(anna)
    await reading.send(anna, chat, "/start region-RU-IRK")

    [first] = await reading.send(anna, chat, "/latest")
    assert (first.text or "").startswith("📰 Свежие новости для этого чата (стр. 1)\n\n")
    assert teaser_titles(first) == IRKUTSK_PAGE_1  # newest first
    assert links(first)[:2] == [
        "https://extra38.example/news/markup",
        "https://extra38.example/news/irk-extra-2",
    ]
    # The title with «<b>&</b>» is shown as those characters: text, not markup.
    assert MARKUP_TITLE in (first.text or "")
    assert [entity["type"] for entity in first.entities].count("bold") == 1  # the header
    # The date in the chat's zone (Irkutsk, UTC+8), the region, the teaser.
    assert (
        f"{MARKUP_TITLE}\n09.06.2024 14:00 · Иркутская область\n"
        "Склад на 5 тыс. кв. м построен в Ангарске."
    ) in (first.text or "")
    assert LIPETSK not in (first.text or "")
    assert first.button_texts() == [["⬇️ Ещё"]]

    answer = await reading.press(anna, first, "⬇️ Ещё")
    assert answer.text is None
    assert first.reply_markup is None  # the old page loses its button
    second = stand.messages_in(chat)[-1]
    assert (second.text or "").startswith("📰 Свежие новости для этого чата (стр. 2)\n\n")
    assert teaser_titles(second) == FIXTURE_IRKUTSK
    assert links(second) == [
        "https://export38.example/news/3",
        "https://export38.example/news/2",
        "https://export38.example/news/1",
    ]
    assert second.reply_markup is None  # nothing more


async def test_a_double_tap_on_more_sends_the_next_page_once(reading: BotHarness) -> None:
    stand = reading.stand
    boris = stand.user(1002, "Борис")
    chat = stand.private_chat(boris)
    [first] = await reading.send(boris, chat, "/latest Иркутская область")
    taps = [await boris.press(first, button="⬇️ Ещё") for _ in range(2)]
    await reading.settle()
    assert all(stand.answer_for(tap) is not None for tap in taps)
    pages = stand.messages_in(chat)
    assert len(pages) == 2
    assert teaser_titles(pages[1]) == FIXTURE_IRKUTSK


async def test_latest_understands_a_region_in_any_form_and_an_unknown_one_changes_nothing(
    reading: BotHarness,
) -> None:
    stand = reading.stand
    vera = stand.user(1003, "Вера")
    chat = stand.private_chat(vera)

    header = "📰 Свежие новости: Иркутская область (стр. 1)\n\n"
    for typed in ("Приангарье", "иркутская", "Иркутская область", "ИРКУТСКОЙ ОБЛАСТИ"):
        [page] = await reading.send(vera, chat, f"/latest {typed}")
        assert (page.text or "").startswith(header), typed
        assert teaser_titles(page) == IRKUTSK_PAGE_1, typed
    [lipetsk] = await reading.send(vera, chat, "/latest липецкой")
    assert (lipetsk.text or "").startswith("📰 Свежие новости: Липецкая область (стр. 1)")
    assert LIPETSK in teaser_titles(lipetsk)
    assert not set(IRKUTSK_PAGE_1 + FIXTURE_IRKUTSK) & set(teaser_titles(lipetsk))

    articles = await ArticleRepository(reading.runtime.ingest.database).count()
    [unknown] = await reading.send(vera, chat, "/latest Нарния")
    lines = (unknown.text or "").split("\n")
    assert lines[0] == "Регион «Нарния» не найден."
    suggested = [row[0] for row in unknown.button_texts()]
    assert 1 <= len(suggested) <= 3
    assert lines[1:] == [f"Может быть, вы имели в виду: {', '.join(suggested)}?"]
    # Nothing was stored: the reader only read.
    assert await reading.chat(chat.id) is None
    assert await reading.subscription(chat.id) is None
    assert await ArticleRepository(reading.runtime.ingest.database).count() == articles

    # A suggestion is a button that opens /latest for that region.
    await reading.press(vera, unknown, suggested[0])
    assert unknown.reply_markup is None
    latest = stand.messages_in(chat)[-1]
    assert latest is not unknown
    assert latest.text == NO_NEWS or (latest.text or "").startswith(
        f"📰 Свежие новости: {suggested[0]} (стр. 1)"
    )


async def test_search_finds_other_word_forms_newest_first_and_pages(reading: BotHarness) -> None:
    stand = reading.stand
    gleb = stand.user(1004, "Глеб")
    chat = stand.private_chat(gleb)

    [first] = await reading.send(gleb, chat, "/search золота")
    assert (first.text or "").startswith("🔎 золота (стр. 1)\n\n")
    assert first.entities[0]["type"] == "code"  # «⬇️ Ещё» reads the query back from here
    assert teaser_titles(first) == [item.title for item in GOLD[:10]]  # newest first
    assert "Магаданская область" in (first.text or "")
    assert first.button_texts() == [["⬇️ Ещё"]]
    await reading.press(gleb, first, "⬇️ Ещё")
    assert first.reply_markup is None
    second = stand.messages_in(chat)[-1]
    assert (second.text or "").startswith("🔎 золота (стр. 2)\n\n")
    assert teaser_titles(second) == [GOLD[10].title, OLDER_GOLD.title]
    assert second.reply_markup is None

    [forest] = await reading.send(gleb, chat, '/search "леса" Китая*')
    assert (forest.text or "").startswith('🔎 "леса" Китая* (стр. 1)\n\n')
    assert teaser_titles(forest) == [FIXTURE_IRKUTSK[2]]

    [hint] = await reading.send(gleb, chat, "/search")
    assert hint.text == "Напишите, что искать, например: /search золото."
    [nothing] = await reading.send(gleb, chat, "/search платина")
    assert nothing.text == "По запросу «платина» ничего не найдено."
    assert await reading.chat(chat.id) is None
