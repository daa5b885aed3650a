"""Reading a news-list page without a feed, the way an admin describes it with selectors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain.errors import FeedMalformed
from bot.domain.models import HtmlSelectors
from bot.ingest.feeds.html_list import parse_html_list

PAGE = (Path(__file__).parent / "fixtures" / "feeds" / "ru_news_list.html").read_bytes()
URL = "https://export.example.ru/press/news/"
SELECTORS = HtmlSelectors(
    item="div.news-item",
    title=".news-item__title",
    date=".news-item__date",
    date_format="%d %B %Y",
    teaser=".news-item__text",
    image="img.news-item__img",
)


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time without a zone, as a page that gives no offset means it."""
    return datetime.combine(date(year, month, day), time(hour, minute))


def page(items: str) -> bytes:
    return f"<html><body><ul>{items}</ul></body></html>".encode()


def test_a_windows_1251_news_page_becomes_items() -> None:
    feed = parse_html_list(PAGE, url=URL, selectors=SELECTORS)

    assert feed.title == "Новости — Центр поддержки экспорта"
    first, second, third = feed.items  # «Новость без ссылки» has no link and is skipped
    assert first.title == "Завод в Липецке запустил линию"
    assert first.link == "https://export.example.ru/press/news/zavod-zapustil-liniyu/"
    assert first.published_at == naive(2024, 5, 21)
    assert first.teaser == first.text == "Линия выпускает 500 деталей в сутки."
    assert first.image_url == "https://export.example.ru/upload/iblock/line.jpg"
    assert second.link == "https://export.example.ru/press/news/forum/"
    assert second.published_at == datetime(2024, 5, 20, 10, tzinfo=timezone(timedelta(hours=3)))
    assert second.image_url == "https://cdn.example.ru/forum.png"
    assert second.teaser == "Регистрация открыта до 1 июня."
    assert third.link == "https://export.example.ru/press/news/news.php?id=17"
    assert third.published_at == naive(2025, 1, 3)
    assert (third.teaser, third.image_url) == ("", None)


def test_the_limit_caps_the_items() -> None:
    selectors = HtmlSelectors(item="div.news-item", title=".news-item__title", limit=2)

    feed = parse_html_list(PAGE, url=URL, selectors=selectors)

    assert [item.title for item in feed.items] == [
        "Завод в Липецке запустил линию",
        "Форум экспортёров пройдёт в Ельце",
    ]


def test_a_separate_link_selector_and_items_without_that_link() -> None:
    body = page(
        '<li><a class="card" href="/n/1"><span class="t">Один</span></a></li>'
        '<li><span class="t">Два</span><p class="more"><a href="/n/2?ref=main">далее</a></p></li>'
    )

    feed = parse_html_list(
        body,
        url="https://gov.example.ru/news",
        selectors=HtmlSelectors(item="li", title=".t", link=".more"),
    )

    assert [(item.title, item.link) for item in feed.items] == [
        ("Два", "https://gov.example.ru/n/2"),
    ]


def test_the_link_may_wrap_the_title() -> None:
    body = page('<li><a href="card/1.html"><h3>Заголовок</h3></a></li>')

    (item,) = parse_html_list(
        body, url="https://gov.example.ru/news/", selectors=HtmlSelectors(item="li", title="h3")
    ).items

    assert item.link == "https://gov.example.ru/news/card/1.html"


def test_a_base_href_resolves_relative_links() -> None:
    body = (
        '<html><head><base href="https://cdn.example.ru/site/"></head><body>'
        '<div class="n"><a href="a.html">Новость</a></div></body></html>'
    ).encode()

    (item,) = parse_html_list(
        body, url="https://example.ru/", selectors=HtmlSelectors(item=".n", title="a")
    ).items

    assert item.link == "https://cdn.example.ru/site/a.html"


def test_unreadable_dates_are_left_empty() -> None:
    body = page('<li><a href="/1">Новость</a><i>когда-то</i></li>')

    (item,) = parse_html_list(
        body, url="https://example.ru/", selectors=HtmlSelectors(item="li", title="a", date="i")
    ).items

    assert item.published_at is None


def test_a_page_where_the_item_selector_matches_nothing_is_refused() -> None:
    with pytest.raises(FeedMalformed, match="no element matches item selector 'div.news-card'"):
        parse_html_list(PAGE, url=URL, selectors=HtmlSelectors(item="div.news-card", title="a"))


@pytest.mark.parametrize(
    ("selectors", "role"),
    [
        (HtmlSelectors(item="div[", title="a"), "item"),
        (HtmlSelectors(item="div.news-item", title="a!!"), "title"),
    ],
)
def test_invalid_css_is_named(selectors: HtmlSelectors, role: str) -> None:
    with pytest.raises(FeedMalformed, match=f"the {role} selector .* is not valid CSS"):
        parse_html_list(PAGE, url=URL, selectors=selectors)


def test_an_empty_page_is_refused() -> None:
    with pytest.raises(FeedMalformed, match="empty"):
        parse_html_list(b"  ", url=URL, selectors=SELECTORS)


def test_a_ten_megabyte_title_and_an_overlong_link_are_capped() -> None:
    huge = "Завод " * (2 * 1024 * 1024)
    long_link = "/news/" + "x" * 3000
    body = page(
        f'<li class="n"><a class="t" href="/news/1">{huge}</a></li>'
        f'<li class="n"><a class="t" href="{long_link}">Длинная ссылка</a></li>'
    )
    feed = parse_html_list(body, url=URL, selectors=HtmlSelectors(item="li.n", title="a.t"))
    (item,) = feed.items  # the item whose link is too long to keep has no link: skipped
    assert len(item.title) <= 500
    assert item.title.endswith("…")
    assert item.link == "https://export.example.ru/news/1"
