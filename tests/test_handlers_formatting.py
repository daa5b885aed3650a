"""The bot's text nodes: the HTML they are sent as is what they say they show.

Every tree is checked against the test stand's HTML parser, which follows Telegram's rules:
what Telegram would show (text and entities) must equal ``render()``, and ``length()`` must be
what Telegram limits (UTF-16 code units of the shown text).
"""

from __future__ import annotations

import pytest

from bot.telegram.formatting import Bold, BotCommand, Code, Fixed, Italic, Text, TextLink, as_list
from tests.telegram_stand.html_rules import parse_html, utf16_len

TREES = {
    "hostile plain text": Text("<b>Завод & Ко</b> <script>alert(1)</script> &amp;"),
    "nested nodes": Text("📰 ", Bold("Новости ", Italic("Приангарья")), " (стр. 1)"),
    "a link with quotes and ampersands": TextLink(
        'Золото "Полюса" & <медь>', url='https://irk.example/news?a=1&b="2"'
    ),
    "emoji before entities (UTF-16 offsets)": as_list(
        Text("🏭🚢 ", Bold("экспорт")), Code("золото <i>&"), sep="\n\n"
    ),
    "a command and numbers": Text(BotCommand("/latest"), " — ", 10, " новостей"),
    "empty formatted node": Text("до", Bold(""), "после"),
}


@pytest.mark.parametrize("tree", list(TREES.values()), ids=list(TREES))
def test_what_telegram_shows_is_what_the_tree_says(tree: Text) -> None:
    shown = parse_html(tree.as_html())
    text, entities = tree.render()
    assert shown.text == text == tree.plain()
    assert shown.entity_list() == [entity.model_dump(exclude_none=True) for entity in entities]
    assert tree.length() == utf16_len(shown.text)


def test_plain_text_never_becomes_markup() -> None:
    html = Text("<b>x</b> & y").as_html()
    assert "<b>" not in html
    assert parse_html(html).entities == ()


def test_as_kwargs_says_html() -> None:
    assert Bold("x").as_kwargs() == {"text": "<b>x</b>", "parse_mode": "HTML"}


@pytest.mark.parametrize("tree", list(TREES.values()), ids=list(TREES))
def test_a_fixed_subtree_shows_exactly_what_its_tree_shows(tree: Text) -> None:
    """Alone and inside a message, after an emoji (UTF-16 offsets of what follows)."""
    fixed = Fixed(tree)
    assert fixed.as_html() == tree.as_html()
    assert (fixed.plain(), fixed.length(), fixed.render()) == (
        tree.plain(),
        tree.length(),
        tree.render(),
    )
    message, expected = as_list("🏭 ", fixed, Bold("конец")), as_list("🏭 ", tree, Bold("конец"))
    assert message.as_html() == expected.as_html()
    assert message.render() == expected.render()
    assert message.length() == expected.length()


BAD_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "tg://user?id=1",
    "tg://resolve?domain=phishing",
    "file:///etc/passwd",
    "ftp://files.example/x",
    "mailto:a@example.ru",
    "example.ru/news",  # Telegram would make http:// of it: not ours to guess
    "https://",
    "https:///path",
    "https://bank.example@evil.example/",
    "https://x.example/a\nb",
    "https://x.example/\u202egnp.exe",  # right-to-left override
    "https://x.example/ a",
]


@pytest.mark.parametrize("url", BAD_LINKS)
def test_a_link_that_is_not_http_s_shows_its_text_without_the_link(url: str) -> None:
    tree = Text("Читать: ", TextLink("Завод <запустил>", url=url), " · 21.05")
    html = tree.as_html()
    assert "<a" not in html
    assert "href" not in html
    shown = parse_html(html)  # what Telegram makes of it
    assert shown.text == "Читать: Завод <запустил> · 21.05" == tree.plain()
    assert shown.entity_list() == []
    assert tree.render() == (shown.text, [])


@pytest.mark.parametrize(
    "url",
    [
        "https://irk.example/news/1",
        "HTTP://IRK.example/news?a=1&b=2#x",
        "https://новости.рф/статья",
        "http://irk.example",
        "https://irk.example:8443/?q=a b".replace(" ", "%20"),
    ],
)
def test_a_web_link_is_written_as_a_link(url: str) -> None:
    tree = TextLink("Завод", url=url)
    shown = parse_html(tree.as_html())
    assert shown.entity_list() == [{"type": "text_link", "offset": 0, "length": 5, "url": url}]
