"""An editor's own formatting, re-checked: Telegram HTML (what aiogram's ``message.html_text``
gives) read back into :mod:`bot.telegram.formatting` nodes, keeping only what Telegram itself
offers and only http(s) links.

Kept: bold (``b``, ``strong``), italic (``i``, ``em``), underline (``u``, ``ins``),
strikethrough (``s``, ``strike``, ``del``), spoiler (``tg-spoiler``, ``span
class="tg-spoiler"``), ``code``, ``pre``, ``blockquote`` and links (``a href``) to http(s)
addresses. Any other tag is dropped with its text kept; a link to anything but http(s)
(``tg://user``, ``javascript:``) keeps its text only; custom emoji keep their fallback
character. The result is written again by :meth:`Text.as_html`, every text escaped, so what
goes to Telegram is always our own well-formed HTML. Pure: no I/O.
"""

from __future__ import annotations

from html.parser import HTMLParser

from bot.telegram.formatting import (
    Bold,
    Code,
    Italic,
    Pre,
    Quote,
    Spoiler,
    Strike,
    Text,
    TextLink,
    Underline,
)

MAX_DEPTH = 16
"""Nesting deeper than this is flattened (its text kept): Telegram nests far less."""


_SIMPLE: dict[str, type[Text]] = {
    "b": Bold,
    "strong": Bold,
    "i": Italic,
    "em": Italic,
    "u": Underline,
    "ins": Underline,
    "s": Strike,
    "strike": Strike,
    "del": Strike,
    "tg-spoiler": Spoiler,
    "code": Code,
    "pre": Pre,
    "blockquote": Quote,
}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Each open element: (its tag, the node class or None to drop the tag, its link, parts)
        self.stack: list[tuple[str, type[Text] | None, str | None, list[object]]] = [
            ("", Text, None, [])
        ]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind: type[Text] | None = _SIMPLE.get(tag)
        url: str | None = None
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            kind = Spoiler
        elif tag == "a":
            kind = TextLink
            url = dict(attrs).get("href") or ""
        if len(self.stack) > MAX_DEPTH:
            kind = None
        self.stack.append((tag, kind, url, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.handle_data("\n")

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, *_rest in self.stack[1:]):
            return  # a stray closing tag: ignored
        while len(self.stack) > 1:
            open_tag, kind, url, parts = self.stack.pop()
            node: object
            if kind is TextLink:
                node = TextLink(*parts, url=url or "")
            elif kind is None:
                node = Text(*parts)
            else:
                node = kind(*parts)
            self.stack[-1][3].append(node)
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1][3].append(data)

    def result(self) -> Text:
        while len(self.stack) > 1:
            self.handle_endtag(self.stack[-1][0])
        return Text(*self.stack[0][3])


def checked_html(html: str) -> Text:
    """The editor's HTML as formatting nodes: only Telegram's tags, links http(s) only."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.result()


def clean_html(html: str) -> str:
    """:func:`checked_html` written back as Telegram HTML (what is stored and sent)."""
    return checked_html(html).as_html()
