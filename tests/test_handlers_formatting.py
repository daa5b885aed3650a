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
