"""Digest texts: grouped by region then section, one dated teaser line per story with its
link, in the chat's language and zone, split into messages Telegram accepts, never inside
a line; read back through the stand's HTML parser and sent through the strict Bot API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.digest import DigestSchedule, digest_due, digest_messages
from bot.delivery.periods import Period
from bot.domain.models import Article
from tests.telegram_stand import RateLimits, TelegramStand
from tests.telegram_stand.html_rules import parse_html, utf16_len
from tests.test_cards import NAMES

BAM = "РЖД заявили, что протяженность путей БАМа к 2030 году увеличится на 3,5 тыс. км"


def article(
    number: int,
    title: str,
    *,
    regions: tuple[str, ...] = ("RU-IRK",),
    section: str = "regional",
    published: datetime = datetime(2026, 12, 3, 16, 30, tzinfo=UTC),  # 4 Dec 00:30 Irkutsk
    story: int | None = None,
) -> Article:
    return Article(
        id=number,
        source_id=1,
        story_id=story if story is not None else number,
        identity_key=str(number),
        title=title,
        url=f"https://news.example/{number}",
        teaser="",
        text="",
        image_url=None,
        published_at=published,
        fetched_at=published,
        section=section,
        regions=regions,
    )


PERIOD = digest_due(
    datetime(2026, 12, 4, 2, tzinfo=UTC),
    DigestSchedule(weekly=False, at="09:00", zone="Asia/Irkutsk"),
    None,
)


def test_a_daily_digest_in_irkutsk_time_reads_like_a_portal() -> None:
    articles = [
        article(1, BAM, published=datetime(2026, 12, 3, 1, 5, tzinfo=UTC)),
        article(2, "Липецкий завод запустил линию", regions=("RU-LIP",)),
        article(3, "Выставка в Иркутске", section="events"),
        article(4, "Новости Приангарья", published=datetime(2026, 12, 3, 20, tzinfo=UTC)),
        article(5, "Федеральные меры", regions=(), section="support"),
        article(6, BAM, story=1),  # the same story from another source
    ]
    [html] = digest_messages(articles, NAMES, language="ru", zone="Asia/Irkutsk", period=PERIOD)
    parsed = parse_html(html)
    assert parsed.text.split("\n") == [
        "Дайджест за 4 декабря",
        "",
        "Иркутская область",
        "Региональные новости",
        "04.12 · Новости Приангарья",
        "03.12 · " + BAM,
        "Мероприятия",
        "04.12 · Выставка в Иркутске",
        "",
        "Липецкая область",
        "Региональные новости",
        "04.12 · Липецкий завод запустил линию",  # dates on the chat's clock
        "",
        "Другие новости",
        "Меры поддержки",
        "04.12 · Федеральные меры",
    ]
    links = [entity["url"] for entity in parsed.entities if entity["type"] == "text_link"]
    assert links == [f"https://news.example/{n}" for n in (4, 1, 3, 2, 5)]


def test_a_weekly_digest_in_english_names_its_range() -> None:
    period = Period(
        start=datetime(2026, 11, 27, 1, tzinfo=UTC),
        end=datetime(2026, 12, 4, 1, tzinfo=UTC),
        since=datetime(2026, 11, 27, 1, tzinfo=UTC),
        weekly=True,
        zone="Asia/Irkutsk",
    )
    [html] = digest_messages(
        [article(1, BAM)], NAMES, language="en", zone="Asia/Irkutsk", period=period
    )
    lines = parse_html(html).text.split("\n")
    assert lines[:4] == [
        "Digest for 27 November — 4 December",
        "",
        "Irkutsk Oblast",
        "Regional news",
    ]


def test_nothing_new_is_no_message() -> None:
    assert digest_messages([], NAMES, language="ru", zone=None, period=PERIOD) == []


def test_an_article_about_several_regions_goes_under_the_one_the_chat_follows() -> None:
    both = article(1, "Поезд Иркутск — Липецк", regions=("RU-IRK", "RU-LIP"))
    [first] = digest_messages([both], NAMES, language="ru", zone=None)
    [followed] = digest_messages(
        [both], NAMES, language="ru", zone=None, prefer_regions={"RU-LIP"}
    )
    assert parse_html(first).text.split("\n")[:3] == ["Дайджест", "", "Иркутская область"]
    assert parse_html(followed).text.split("\n")[2] == "Липецкая область"


def test_a_long_digest_is_split_between_lines_and_goes_on_under_its_heading() -> None:
    title = "Очень длинный заголовок новости о промышленности региона " * 5
    articles = [
        article(
            n,
            f"{n} {title}",
            regions=("RU-IRK",) if n < 60 else ("RU-LIP",),
            published=datetime(2026, 12, 3, tzinfo=UTC) - timedelta(minutes=n),
        )
        for n in range(100)
    ]
    messages = digest_messages(articles, NAMES, language="ru", zone="Asia/Irkutsk", period=PERIOD)
    assert len(messages) >= 3
    seen: list[int] = []
    for index, html in enumerate(messages):
        parsed = parse_html(html)
        assert utf16_len(parsed.text) <= 4096
        lines = parsed.text.split("\n")
        if index:
            assert lines[0].endswith("(продолжение)") or lines[0] == "Липецкая область"
            assert lines[1] == "Региональные новости"
        seen += [int(line.split(" · ")[1].split()[0]) for line in lines if " · " in line]
        assert all(line.endswith("…") for line in lines if " · " in line)
    assert seen == list(range(100))


@pytest.mark.parametrize("title", ["<b>x</b> & y", "</a><a href='evil'>", "&amp; &#0; 🚂"])
def test_hostile_titles_stay_text(title: str) -> None:
    [html] = digest_messages([article(1, title)], NAMES, language="ru", zone=None)
    parsed = parse_html(html)
    assert parsed.text.split("\n")[-1].endswith(" · " + " ".join(title.split()))
    assert {entity["type"] for entity in parsed.entities} == {"bold", "italic", "text_link"}


async def test_a_digest_is_accepted_by_the_strict_bot_api(telegram_stand: TelegramStand) -> None:
    telegram_stand.set_limits(RateLimits.off())
    articles = [article(n, f"{n} <Заголовок> & " + "слово " * 40) for n in range(60)]
    messages = digest_messages(articles, NAMES, language="ru", zone="Asia/Irkutsk", period=PERIOD)
    assert len(messages) > 1
    chat = telegram_stand.private_chat(telegram_stand.user(1001, "Анна"))
    bot = telegram_stand.make_bot()
    try:
        for html in messages:
            await bot.send_message(chat.id, html)
    finally:
        await bot.session.close()
    sent = await telegram_stand.wait_for_messages(chat, count=len(messages))
    assert sent[0].text is not None
    assert sent[0].text.startswith("Дайджест за 4 декабря\n\nИркутская область")
    assert sum(len(m.entities) for m in sent) == sum(len(parse_html(h).entities) for h in messages)


def test_a_late_period_is_still_for_its_own_day() -> None:
    assert PERIOD is not None
    late = replace(PERIOD, since=PERIOD.since - timedelta(days=3))
    [html] = digest_messages([article(1, BAM)], NAMES, language="ru", zone=None, period=late)
    assert parse_html(html).text.startswith("Дайджест за 4 декабря\n")
