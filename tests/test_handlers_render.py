"""Rendering: rules in words in Russian and English, untrusted text as plain text, and an
article page that always fits one message."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest
from aiogram.utils.i18n import I18n

from bot.domain.models import Article, DeliveryMode, Region, Rule, Section, Subscription, Topic
from bot.readers.reading import PAGE_SIZE, Page
from bot.telegram.articles import MAX_MESSAGE_CHARS, article_teaser, articles_view, shorten
from bot.telegram.formatting import Text, sizeof
from bot.telegram.i18n import LOCALES_PATH, build_i18n
from handlers.render import (
    describe_rule,
    query_from,
    region_not_found,
    search_header,
    subscription_view,
)
from tests.telegram_stand.html_rules import parse_html

IRKUTSK = Region(
    "RU-IRK",
    "Иркутская область",
    "Irkutsk Oblast",
    "область",
    "Сибирский",
    "Asia/Irkutsk",
    "Иркутск",
)
LIPETSK = Region(
    "RU-LIP",
    "Липецкая область",
    "Lipetsk Oblast",
    "область",
    "Центральный",
    "Europe/Moscow",
    "Липецк",
)
PRACTICE = Section("practice", "Лучшие практики ВЭД", "Best export practices")
AGRO = Topic("agro", "АПК", "Agriculture")


@dataclass(frozen=True)
class FakeNames:
    regions: Mapping[str, Region] = field(
        default_factory=lambda: {r.code: r for r in (IRKUTSK, LIPETSK)}
    )
    sections: Mapping[str, Section] = field(default_factory=lambda: {PRACTICE.slug: PRACTICE})
    topics: Mapping[str, Topic] = field(default_factory=lambda: {AGRO.slug: AGRO})


NAMES = FakeNames()


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return build_i18n(LOCALES_PATH)


@pytest.fixture
def ru(i18n: I18n) -> Iterator[None]:
    with i18n.context(), i18n.use_locale("ru"):
        yield


@pytest.fixture
def en(i18n: I18n) -> Iterator[None]:
    with i18n.context(), i18n.use_locale("en"):
        yield


def article(number: int, *, title: str = "Завод", teaser: str = "Коротко.") -> Article:
    moment = datetime(2024, 5, 21, 3, 30, tzinfo=UTC)
    return Article(
        id=number,
        source_id=1,
        story_id=number,
        identity_key=f"k{number}",
        title=title,
        url=f"https://example.ru/news/{number}",
        teaser=teaser,
        text="",
        image_url=None,
        published_at=moment,
        fetched_at=moment,
        section="regional",
        regions=("RU-IRK",),
    )


def subscription(*rules: Rule) -> Subscription:
    return Subscription(
        id=1,
        chat_id=1,
        thread_id=0,
        mode=DeliveryMode.WEEKLY,
        digest_time="09:00",
        digest_weekday=0,
        timezone="Asia/Irkutsk",
        quiet_start="23:00",
        quiet_end="08:00",
        paused=False,
        current_rule_id=rules[0].id if rules else None,
        since=datetime(2024, 5, 1, tzinfo=UTC),
        rules=rules,
    )


def test_a_rule_in_russian_words(ru: None) -> None:
    assert describe_rule(Rule(1, regions=("RU-IRK",)), NAMES) == (
        "Иркутская область · все разделы · все темы"
    )
    assert describe_rule(Rule(2, sections=("practice",)), NAMES) == (
        "любой регион · Лучшие практики ВЭД · все темы"
    )


def test_a_rule_in_english_words(en: None) -> None:
    assert describe_rule(Rule(1, regions=("RU-LIP", "RU-IRK"), topics=("agro",)), NAMES) == (
        "Irkutsk Oblast, Lipetsk Oblast · all sections · Agriculture"
    )


def test_the_subscription_view_lists_rules_and_delivery(ru: None) -> None:
    text, _entities = subscription_view(
        subscription(Rule(1, regions=("RU-IRK",)), Rule(2, sections=("practice",))),
        NAMES,
        title="Ваша подписка",
    ).render()
    assert "1. Иркутская область · все разделы · все темы" in text
    assert "2. любой регион · Лучшие практики ВЭД · все темы" in text
    assert "еженедельная сводка по понедельникам в 09:00" in text
    assert "Иркутск (UTC+8)" in text
    assert "23:00–08:00" in text


def test_a_title_with_markup_is_text_not_html(ru: None) -> None:
    title = "<b>Завод & Ко</b>"
    content = articles_view(
        search_header("завод", Page((), 0, False)), [article(1, title=title)], NAMES
    )
    kwargs = content.as_kwargs()
    assert kwargs["parse_mode"] == "HTML"
    # What Telegram makes of the HTML (the test stand's parser, as strict as Telegram's):
    shown = parse_html(kwargs["text"])
    assert title in shown.text
    links = [entity for entity in shown.entities if entity["type"] == "text_link"]
    assert len(links) == 1
    assert links[0]["url"] == "https://example.ru/news/1"
    assert utf16_slice(shown.text, links[0]) == title
    assert not any(
        entity["type"] == "bold" and "Завод" in utf16_slice(shown.text, entity)
        for entity in shown.entities
    )
    assert (shown.text, shown.entity_list()) == rendered(content)  # render() agrees with it


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "tg://resolve?domain=phishing",
        "vbscript:msgbox",
        "//evil.example/path",
    ],
)
def test_an_article_whose_link_is_not_http_s_is_shown_without_it(ru: None, url: str) -> None:
    bad = replace(article(1, title="Завод"), url=url)
    content = articles_view(
        search_header("завод", Page((), 0, False)), [bad, article(2, title="Порт")], NAMES
    )
    html = content.as_html()
    assert html.count("<a ") == 1
    assert "evil" not in html
    assert "script" not in html
    assert "tg:" not in html
    assert "data:" not in html
    shown = parse_html(html)
    links = [entity for entity in shown.entities if entity["type"] == "text_link"]
    assert [link["url"] for link in links] == ["https://example.ru/news/2"]
    assert any(  # the title is still there, in bold like an article without a link
        entity["type"] == "bold" and utf16_slice(shown.text, entity) == "Завод"
        for entity in shown.entities
    )
    assert (shown.text, shown.entity_list()) == rendered(content)


def utf16_slice(text: str, entity: Mapping[str, object]) -> str:
    encoded = text.encode("utf-16-le")
    start, length = int(str(entity["offset"])), int(str(entity["length"]))
    return encoded[2 * start : 2 * (start + length)].decode("utf-16-le")


def rendered(content: Text) -> tuple[str, list[dict[str, object]]]:
    text, entities = content.render()
    return text, [entity.model_dump(exclude_none=True) for entity in entities]


def test_a_page_of_huge_articles_fits_one_message(ru: None) -> None:
    articles = [
        article(number, title="Заголовок " * 100, teaser="Очень длинный тизер. " * 500)
        for number in range(PAGE_SIZE)
    ]
    text, _entities = articles_view(
        search_header("з" * 200, Page(tuple(articles), 0, True)), articles, NAMES
    ).render()
    assert sizeof(text) <= MAX_MESSAGE_CHARS
    assert text.count("https://") == 0  # links are entities, not text
    assert text.count("…") >= PAGE_SIZE


def test_the_search_query_is_read_back_from_the_header(ru: None) -> None:
    query = "золото <i>& «медь»"
    text, entities = search_header(query, Page((), 10, True)).render()
    assert query_from(text, entities) == query
    assert "стр. 2" in text


def test_an_unknown_region_is_echoed_as_text(ru: None) -> None:
    text, entities = region_not_found("Нарния <script>", (IRKUTSK,)).render()
    assert text.startswith("Регион «Нарния <script>» не найден.")
    assert "Иркутская область" in text
    assert entities == []


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("  spaced\n\nout  ", 20, "spaced out"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_twenty_long_rules_fit_one_message(ru: None) -> None:
    many = {
        f"RU-X{index:02d}": Region(
            f"RU-X{index:02d}",
            "Ханты-Мансийский автономный округ — Югра",
            "Khanty",
            "",
            "",
            "",
            "",
        )
        for index in range(40)
    }
    names = FakeNames(regions=many)
    rules = tuple(Rule(number, regions=tuple(many)) for number in range(1, 21))
    text, _entities = subscription_view(
        subscription(*rules), names, title="Ваша подписка"
    ).render()
    assert sizeof(text) <= MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("published", "zone", "shown"),
    [
        (datetime(2024, 5, 21, 3, 30, tzinfo=UTC), "Asia/Irkutsk", "21.05.2024 11:30"),
        (datetime(2026, 1, 2, 23, 5, tzinfo=UTC), "Europe/Moscow", "03.01.2026 02:05"),
        # Naive: read as UTC; no zone: the default one (Moscow).
        (datetime(2026, 1, 2, 23, 5, tzinfo=UTC).replace(tzinfo=None), None, "03.01.2026 02:05"),
        (datetime(2026, 12, 31, 9, 0, tzinfo=UTC), "Nowhere/Unknown", "31.12.2026 12:00"),
    ],
)
def test_a_teaser_dates_the_article_in_the_chat_s_time_zone(
    published: datetime, zone: str | None, shown: str, ru: None
) -> None:
    moment = replace(article(1), published_at=published)
    meta = article_teaser(moment, NAMES, zone=zone).plain().splitlines()[1]
    assert meta.startswith(f"{shown} · ")


def test_a_kept_teaser_is_never_shown_for_another_language_zone_or_text(
    i18n: I18n,
) -> None:
    """Teasers are kept once made: what changes the text must make another one."""
    story = article(1, title="Завод в Приангарье")

    def teaser(language: str, zone: str, shown: Article = story) -> str:
        with i18n.context(), i18n.use_locale(language):
            return article_teaser(shown, NAMES, zone=zone).as_html()

    russian = teaser("ru", "Asia/Irkutsk")
    assert "Иркутская область" in russian
    assert "21.05.2024 11:30" in russian
    assert teaser("ru", "Asia/Irkutsk") == russian
    assert "Irkutsk Oblast" in teaser("en", "Asia/Irkutsk")
    assert "21.05.2024 06:30" in teaser("ru", "Europe/Moscow")
    edited = replace(story, title="Завод в Приангарье расширяется")
    assert "расширяется" in teaser("ru", "Asia/Irkutsk", edited)
    untitled = replace(story, title="", url=None)
    assert "(без заголовка)" in teaser("ru", "Asia/Irkutsk", untitled)
    assert "(untitled)" in teaser("en", "Asia/Irkutsk", untitled)
