"""Plain text, teasers and canonical links."""

from __future__ import annotations

import pytest

from bot.ingest.feeds.text import (
    MAX_GUID_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    canonical_url,
    cap_guid,
    cap_title,
    clean_html,
    clean_title,
    make_teaser,
)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Первый абзац.</p><p>Второй абзац.</p>", "Первый абзац.\nВторой абзац."),
        ("Строка<br>ещё строка<BR/>и третья", "Строка\nещё строка\nи третья"),
        ("<div>Завод <b>запустил</b> <a href='/x'>линию</a>.</div>", "Завод запустил линию."),
        ("<p>Текст</p><script>alert('x')</script><style>p {}</style>", "Текст"),
        ("<ul><li>уголь</li><li>сталь</li></ul>", "уголь\nсталь"),
        ("AT&amp;T &laquo;Урал&raquo; 2&nbsp;млрд", "AT&T «Урал» 2 млрд"),
        ("<p>  много \n\t пробелов  </p>", "много пробелов"),
        ("простой текст\n\nвторая строка  ", "простой текст\nвторая строка"),
        ("a < b и c > d", "a < b и c > d"),
        ("", ""),
        ("<p></p><div> </div>", ""),
    ],
)
def test_clean_html_keeps_text_and_paragraphs(html: str, text: str) -> None:
    assert clean_html(html) == text


def test_clean_html_ignores_our_private_paragraph_mark_in_input() -> None:
    assert clean_html("<p>a\ue000b</p>") == "ab"


def test_a_short_text_is_its_own_teaser() -> None:
    assert make_teaser("Завод запустил\nлинию.", limit=280) == "Завод запустил линию."


def test_a_long_text_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "Предприятие нарастило выпуск продукции, а затем открыло новый цех в Перми"

    teaser = make_teaser(text, limit=41)

    assert teaser == "Предприятие нарастило выпуск продукции…"
    assert len(teaser) <= 41
    assert text.startswith(teaser[:-1])


def test_a_cut_teaser_loses_trailing_punctuation() -> None:
    assert make_teaser("Один, два, три, четыре, пять", limit=12) == "Один, два…"


def test_a_single_long_word_is_cut_hard() -> None:
    assert make_teaser("а" * 50, limit=10) == "а" * 9 + "…"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://Example.RU/a", None, "https://example.ru/a"),
        ("HTTP://example.ru:80/a", None, "http://example.ru/a"),
        ("https://example.ru:443/a", None, "https://example.ru/a"),
        ("https://example.ru:8443/a", None, "https://example.ru:8443/a"),
        ("https://example.ru", None, "https://example.ru/"),
        ("https://example.ru/a#comments", None, "https://example.ru/a"),
        (
            "https://example.ru/n?id=5&utm_source=rss&utm_medium=feed&b=2",
            None,
            "https://example.ru/n?id=5&b=2",
        ),
        (
            "https://example.ru/n?fbclid=x&gclid=y&yclid=z&_openstat=q&from=rss&ref=tg&p=1",
            None,
            "https://example.ru/n?p=1",
        ),
        ("https://example.ru/n?UTM_Source=x&z=1&a=2", None, "https://example.ru/n?z=1&a=2"),
        (
            "https://example.ru/n?q=%D0%BC%D0%B0%D0%B9",
            None,
            "https://example.ru/n?q=%D0%BC%D0%B0%D0%B9",
        ),
        ("/news/1", "https://example.ru/feed/", "https://example.ru/news/1"),
        ("2.html", "https://example.ru/news/1.html", "https://example.ru/news/2.html"),
        ("//cdn.example.ru/i.jpg", "https://example.ru/", "https://cdn.example.ru/i.jpg"),
        ("  https://example.ru/a  ", None, "https://example.ru/a"),
    ],
)
def test_canonical_url(url: str, base: str | None, expected: str) -> None:
    assert canonical_url(url, base=base) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "javascript:void(0)",
        "mailto:press@example.ru",
        "ftp://example.ru/file",
        "data:image/gif;base64,R0lGOD",
        "/relative/without/base",
        "https://example.ru:99999/",
    ],
)
def test_canonical_url_refuses_what_is_not_a_web_address(url: str | None) -> None:
    assert canonical_url(url) is None


@pytest.mark.parametrize(
    ("guid", "kept"),
    [("a" * 512, "a" * 512), ("", ""), ("id-1", "id-1")],
)
def test_a_guid_within_the_cap_is_kept(guid: str, kept: str) -> None:
    assert cap_guid(guid) == kept


def test_a_long_guid_keeps_its_head_and_a_hash_of_the_whole() -> None:
    first, second = cap_guid("a" * 600 + "1"), cap_guid("a" * 600 + "2")
    assert len(first) == len(second) == MAX_GUID_CHARS
    assert first != second
    assert first.startswith("a" * 400)
    assert cap_guid("a" * 600 + "1") == first  # the same guid always gives the same key


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://x.example/" + "p" * (MAX_URL_CHARS - 18), True),
        ("https://x.example/" + "p" * (MAX_URL_CHARS - 17), False),
        ("HTTPS://X.example/" + "p" * (MAX_URL_CHARS - 17), False),
        ("/" + "p" * (MAX_URL_CHARS - 1), False),  # short, but long once made absolute
    ],
)
def test_an_address_over_the_cap_is_dropped(url: str, kept: bool) -> None:
    assert (canonical_url(url, base="https://x.example/news/") is not None) is kept


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("<b>Завод</b> запустил линию", "Завод запустил линию"),
        ("слово " * 200, ("слово " * 83).strip() + "…"),
    ],
)
def test_titles_are_cleaned_and_capped(title: str, expected: str) -> None:
    assert clean_title(title) == expected
    assert len(clean_title(title)) <= MAX_TITLE_CHARS
    assert cap_title(expected) == expected
