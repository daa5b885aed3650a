"""Reading feeds: what an admin adding a source sees come out of a real document."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain.errors import FeedMalformed, FeedUnsafe
from bot.ingest.feeds.feed_parser import parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_russian_rss_feed_becomes_clean_items() -> None:
    feed = parse_feed(read("ru_rss.xml"), url="https://prom.example.ru/rss")

    assert feed.title == "Промышленность Прикамья"
    assert feed.ttl_seconds == 30 * 60
    first, second, untitled = feed.items  # the item with neither title nor link is skipped
    assert first.title == "Пермский завод запустил новую линию «Урал»"
    assert first.link == "https://prom.example.ru/news/123?id=7"
    assert first.guid == "prom-123"
    assert first.teaser == "Завод в Перми запустил линию."
    assert first.text == (
        "Завод в Перми запустил новую линию по выпуску деталей.\n"
        "Инвестиции составили 2 млрд рублей."
    )
    assert first.image_url == "https://prom.example.ru/images/line.jpg"
    assert first.published_at == datetime(2024, 5, 21, 9, 30, tzinfo=UTC)
    assert first.categories == ("Машиностроение", "Пермский край")
    assert second.link == "https://prom.example.ru/news/124"
    assert second.image_url == "https://cdn.example.ru/thumb/124.png"
    assert untitled.title == "Новость без заголовка: в Иркутской области открыли цех."
    assert untitled.image_url == "https://prom.example.ru/img/125.jpg"
    assert untitled.published_at is None


def test_an_atom_feed_resolves_links_and_strips_markup_from_titles() -> None:
    feed = parse_feed(read("ru_atom.xml"), url="https://kuzbass.example.ru/atom.xml")

    (entry,) = feed.items
    assert feed.title == "Новости Кузбасса"
    assert entry.title == "Угольщики Кузбасса увеличили добычу"
    assert entry.link == "https://kuzbass.example.ru/2024/05/coal?page=2"
    assert entry.guid == "urn:uuid:coal-2024-05"
    assert entry.teaser == "Добыча угля выросла."
    assert entry.text == "Добыча угля в Кемеровской области выросла на 3 %.\nДанные Минэнерго."
    assert entry.published_at == datetime(2024, 5, 21, 14, 30, tzinfo=timezone(timedelta(hours=7)))
    assert entry.categories == ("Добыча",)


def test_a_json_feed_is_read() -> None:
    feed = parse_feed(read("ru_feed.json"), url="https://export.example.ru/feed.json")

    first, second = feed.items
    assert feed.title == "Экспорт Липецкой области"
    assert first.link == "https://export.example.ru/news/42"
    assert first.guid == "42"
    assert first.image_url == "https://export.example.ru/img/42.jpg"
    assert first.teaser == "Первая партия станков отправлена."
    assert first.text == "Первая партия станков отправлена в Мумбаи.\nПоставки продолжатся."
    assert first.published_at == datetime(2024, 5, 21, 10, tzinfo=timezone(timedelta(hours=3)))
    assert first.categories == ("Экспорт", "Станкостроение")
    assert second.title == "Заявки на субсидии принимаются до 1 июня."
    assert second.published_at == datetime(2024, 5, 20, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "cp1251_decl.xml",
        "cp1251_nodecl.xml",
        "cp1251_decl_says_utf8.xml",
        "koi8r_decl.xml",
        "koi8r_nodecl.xml",
        "utf8_bom.xml",
        "utf8_nodecl.xml",
    ],
)
def test_russian_feeds_in_any_encoding_read_the_same(name: str) -> None:
    (item,) = parse_feed(read(name), url="https://example.ru/rss").items

    assert item.title == "Как пережить новогоднюю ночь"
    assert item.text.startswith("Наверное, единственное, во что сегодня можно верить")


def test_the_http_charset_decodes_a_feed_that_does_not_say_its_own() -> None:
    body = read("koi8r_nodecl.xml")

    (item,) = parse_feed(body, url="https://example.ru/rss", http_charset="koi8-r").items

    assert item.title == "Как пережить новогоднюю ночь"


def test_feedparser_reads_what_fastfeedparser_refuses() -> None:
    rss_without_channel = (
        b'<rss version="2.0"><item><title>Title</title><link>/a</link></item></rss>'
    )

    (item,) = parse_feed(rss_without_channel, url="https://example.ru/rss").items

    assert (item.title, item.link) == ("Title", "https://example.ru/a")


def test_an_rss_090_feed_is_not_read_as_empty() -> None:
    rss090 = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title></channel>'
        b"<item><title>Item</title><link>https://example.ru/1</link></item></rdf:RDF>"
    )

    (item,) = parse_feed(rss090, url="https://example.ru/rss").items

    assert item.link == "https://example.ru/1"


def test_an_rdf_feed_is_read() -> None:
    rdf = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://example.ru/">'
        b"<title>RDF</title></channel><item rdf:about='https://example.ru/1'><title>One</title>"
        b"<link>https://example.ru/1</link></item></rdf:RDF>"
    )

    feed = parse_feed(rdf, url="https://example.ru/rss")

    assert [(item.title, item.link) for item in feed.items] == [("One", "https://example.ru/1")]


def test_a_doctype_without_entities_is_fine() -> None:
    feed = parse_feed(read("always_strip_doctype.xml"), url="https://example.ru/rss")

    assert feed.title == "found"
    assert feed.items == ()


def test_corrupted_ampersands_in_a_link_are_read_as_feedparser_reads_them() -> None:
    (item,) = parse_feed(read("rss_item_link_corrupted_ampersands.xml"), url="http://x/").items

    assert item.link == "http://link/get?a=1&b=2"


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY a "aaaa">]>',
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!doctype rss [<!-- ]> --><!entity a "b">]>',
    ],
)
def test_a_feed_declaring_entities_is_refused(doctype: str) -> None:
    body = f'<?xml version="1.0"?>{doctype}<rss><channel><title>&a;</title></channel></rss>'

    with pytest.raises(FeedUnsafe, match="declares its own XML entities"):
        parse_feed(body.encode(), url="https://example.ru/rss")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (random.Random(7).randbytes(4096), "binary data"),
        (b"<!DOCTYPE html><html><body>News</body></html>", 'use kind = "html"'),
        (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"/>', "HTML page"),
        (b"  <HTML><head><title>x</title></head></HTML>", "HTML page"),
        (b'{"title": "not a feed"}', 'no "items" list'),
        (b'{"items": [', "JSON is not valid"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON is not valid"),
        (b"just some words, no markup", "not a feed we can read"),
    ],
)
def test_what_is_not_a_feed_is_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FeedMalformed, match=reason.replace("(", r"\(")) as caught:
        parse_feed(body, url="https://example.ru/rss")

    assert type(caught.value) is FeedMalformed


def test_the_empty_document_from_feedparsers_suite_is_malformed() -> None:
    with pytest.raises(FeedMalformed, match="not a feed we can read"):
        parse_feed(read("rss_empty_document.xml"), url="https://example.ru/rss")


@pytest.mark.parametrize("name", ["aaa_illformed.xml", "rss_incomplete_cdata.xml"])
def test_ill_formed_feeds_are_read_as_far_as_they_go(name: str) -> None:
    feed = parse_feed(read(name), url="https://example.ru/rss")

    assert all(item.title for item in feed.items)


def test_a_json_feed_with_wrong_types_does_not_crash() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": 5,
            "items": [
                {"id": 7, "url": ["x"], "title": "Ok", "tags": "t", "attachments": {}},
                "not an item",
                {"url": "/only-link"},
            ],
        }
    ).encode()

    feed = parse_feed(body, url="https://example.ru/feed.json")

    assert feed.title is None
    assert [(item.title, item.guid, item.link) for item in feed.items] == [
        ("Ok", "7", None),
        ("https://example.ru/only-link", None, "https://example.ru/only-link"),
    ]


def test_an_entry_image_comes_from_the_first_usable_img_in_its_content() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>T</title><link>/a</link>'
        b"<description><![CDATA[<p><img src='data:image/png;base64,AA'>"
        b'<IMG SRC="/pic.webp"></p>]]></description></item></channel></rss>'
    )

    (item,) = parse_feed(body, url="https://example.ru/rss").items

    assert item.image_url == "https://example.ru/pic.webp"


def test_a_feed_without_ttl_has_none() -> None:
    feed = parse_feed(read("ru_atom.xml"), url="https://kuzbass.example.ru/atom.xml")

    assert feed.ttl_seconds is None


# --- hostile sizes: what one item may hold ------------------------------------------------

_HUGE = 10 * 1024 * 1024


def _rss_item(title: str, guid: str, link: str) -> str:
    return f"<item><title>{title}</title><guid>{guid}</guid><link>{link}</link></item>"


def test_a_ten_megabyte_title_guid_and_link_are_capped() -> None:
    words = ("Завод " * (_HUGE // 6))[:_HUGE]
    long_guid = "g" * (1024 * 1024)
    long_link = "https://prom.example.ru/news/" + "p" * 3000
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{words}</title>'
        + _rss_item(words, long_guid, long_link)
        + _rss_item("Короткая", long_guid + "x", "https://prom.example.ru/n/2")
        + "</channel></rss>"
    ).encode()
    feed = parse_feed(body, url="https://prom.example.ru/rss")

    assert feed.title is not None
    assert len(feed.title) <= 500
    assert feed.title.endswith("…")
    first, second = feed.items
    assert len(first.title) <= 500
    assert first.title.startswith("Завод Завод")
    assert first.title.endswith("…")
    assert first.link is None  # a cut address leads nowhere: dropped
    assert first.guid is not None
    assert len(first.guid) == 512
    assert first.guid.startswith("ggg")
    assert second.guid is not None
    assert len(second.guid) == 512
    assert second.guid != first.guid  # two long guids stay two
    assert second.title == "Короткая"
    assert second.link == "https://prom.example.ru/n/2"


def test_a_json_feed_item_is_capped_the_same_way() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {
                    "id": "i" * 100_000,
                    "title": "Новость " * 200_000,
                    "url": "https://prom.example.ru/" + "p" * 5000,
                    "image": "https://prom.example.ru/" + "i" * 5000 + ".jpg",
                }
            ],
        }
    ).encode()
    (item,) = parse_feed(body, url="https://prom.example.ru/feed.json").items
    assert len(item.title) <= 500
    assert item.guid is not None
    assert len(item.guid) == 512
    assert item.link is None
    assert item.image_url is None


@pytest.mark.parametrize("length", [511, 512])
def test_a_guid_up_to_the_cap_is_kept_as_it_is(length: int) -> None:
    guid = "g" * length
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        + _rss_item("Новость", guid, "https://prom.example.ru/n/1")
        + "</channel></rss>"
    ).encode()
    (item,) = parse_feed(body, url="https://prom.example.ru/rss").items
    assert item.guid == guid
