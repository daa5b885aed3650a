"""Message text as a small tree of nodes, sent to Telegram as HTML.

The same building blocks as :mod:`aiogram.utils.formatting` (``Text``, ``Bold``, ``Italic``,
``Code``, ``TextLink``, ``BotCommand``, ``as_list``), rendered differently: aiogram renders a
tree into text plus one pydantic ``MessageEntity`` per formatted node, re-encoding every
subtree to UTF-16 at each level; on a page of ten teasers that was ~0.36 ms, done twice (once
to check the length), and every entity was validated again on the way out. Here a tree is
written once as Telegram HTML with every plain string escaped, so untrusted text (titles,
teasers, what a reader typed) can only ever be text, never markup.

A link is only ever written for an http(s) address with a host and nothing unprintable in it
(:func:`is_web_link`): a :class:`TextLink` handed ``javascript:``, ``data:``, ``tg://`` or
any other address shows its text without a link, so no scheme reaches Telegram whoever
supplied the address (a feed, an editor's post, a channel).

:meth:`Text.length` is what Telegram limits (4096 for a message): the length of the text
shown, in UTF-16 code units. :meth:`Text.render` gives text and entities as Telegram will
make them from the HTML, for tests and for reading a message back.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, ClassVar

from aiogram.enums import MessageEntityType, ParseMode
from aiogram.types import MessageEntity

Part = Any
"""A node or anything else, which is shown as ``str(part)``."""


_WEB_LINK = re.compile(r"https?://[^\s/?#\\@]+(?:[/?#][^\s]*)?", re.IGNORECASE)


def is_web_link(url: str) -> bool:
    """Whether ``url`` is an http(s) address with a host and only printable characters:
    the only kind of link the bot writes into a message."""
    return _WEB_LINK.fullmatch(url) is not None and url.isprintable()


def sizeof(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


class Text:
    """A run of text: plain parts and nested nodes, shown one after another."""

    __slots__ = ("_parts",)
    entity_type: ClassVar[MessageEntityType | None] = None
    tag: ClassVar[str] = ""

    def __init__(self, *parts: Part) -> None:
        self._parts = parts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self._parts))})"

    # what Telegram is sent ----------------------------------------------------------------

    def as_html(self) -> str:
        """The tree as Telegram HTML; every plain part escaped."""
        out: list[str] = []
        self._write_html(out)
        return "".join(out)

    def as_kwargs(self) -> dict[str, Any]:
        """``text`` and ``parse_mode`` for a send or edit call."""
        return {"text": self.as_html(), "parse_mode": ParseMode.HTML}

    def _opening(self) -> str:
        return f"<{self.tag}>" if self.tag else ""

    def _closing(self) -> str:
        return f"</{self.tag}>" if self.tag else ""

    def _write_html(self, out: list[str]) -> None:
        out.append(self._opening())
        for part in self._parts:
            if isinstance(part, Text):
                part._write_html(out)
            else:
                out.append(escape(str(part), quote=False))
        out.append(self._closing())

    # what the reader sees -----------------------------------------------------------------

    def plain(self) -> str:
        """The text shown, without formatting."""
        return "".join(
            part.plain() if isinstance(part, Text) else str(part) for part in self._parts
        )

    def length(self) -> int:
        """The length Telegram limits: UTF-16 code units of the text shown."""
        return sizeof(self.plain())

    def render(self) -> tuple[str, list[MessageEntity]]:
        """The text shown and its entities (sorted by offset), as Telegram makes them."""
        entities: list[MessageEntity] = []
        text = self._render(0, entities)
        entities.sort(key=lambda entity: entity.offset)
        return text, entities

    def _render(self, offset: int, entities: list[MessageEntity]) -> str:
        pieces: list[str] = []
        position = offset
        for part in self._parts:
            piece = part._render(position, entities) if isinstance(part, Text) else str(part)
            pieces.append(piece)
            position += sizeof(piece)
        if self.entity_type is not None and position > offset:
            entity = self._entity(offset, position - offset)
            if entity is not None:
                entities.append(entity)
        return "".join(pieces)

    def _entity(self, offset: int, length: int) -> MessageEntity | None:
        assert self.entity_type is not None
        return MessageEntity(type=self.entity_type, offset=offset, length=length)


class Bold(Text):
    __slots__ = ()
    entity_type = MessageEntityType.BOLD
    tag = "b"


class Italic(Text):
    __slots__ = ()
    entity_type = MessageEntityType.ITALIC
    tag = "i"


class Code(Text):
    __slots__ = ()
    entity_type = MessageEntityType.CODE
    tag = "code"


class Underline(Text):
    __slots__ = ()
    entity_type = MessageEntityType.UNDERLINE
    tag = "u"


class Strike(Text):
    __slots__ = ()
    entity_type = MessageEntityType.STRIKETHROUGH
    tag = "s"


class Spoiler(Text):
    __slots__ = ()
    entity_type = MessageEntityType.SPOILER
    tag = "tg-spoiler"


class Pre(Text):
    __slots__ = ()
    entity_type = MessageEntityType.PRE
    tag = "pre"


class Quote(Text):
    __slots__ = ()
    entity_type = MessageEntityType.BLOCKQUOTE
    tag = "blockquote"


class TextLink(Text):
    """Text that opens ``url``; only its text when ``url`` is not a web link
    (:func:`is_web_link`), so a ``javascript:`` or ``tg://`` address never reaches Telegram."""

    __slots__ = ("url",)
    entity_type = MessageEntityType.TEXT_LINK
    tag = "a"

    def __init__(self, *parts: Part, url: str) -> None:
        super().__init__(*parts)
        self.url: str | None = url if is_web_link(url) else None

    def _opening(self) -> str:
        if self.url is None:
            return ""
        return f'<a href="{escape(self.url, quote=False).replace(chr(34), "&quot;")}">'

    def _closing(self) -> str:
        return "" if self.url is None else "</a>"

    def _entity(self, offset: int, length: int) -> MessageEntity | None:
        if self.url is None:
            return None
        return MessageEntity(type=self.entity_type, offset=offset, length=length, url=self.url)


class BotCommand(Text):
    """A ``/command``: plain text, which Telegram itself marks as a command."""

    __slots__ = ()


class Fixed(Text):
    """A finished subtree whose HTML and shown text are worked out once, for a part that
    goes into many messages (a teaser on every reader's page): writing a message that
    holds it copies them instead of walking the subtree again."""

    __slots__ = ("_html", "_plain")

    def __init__(self, node: Text) -> None:
        super().__init__(node)
        self._html = node.as_html()
        self._plain = node.plain()

    def _write_html(self, out: list[str]) -> None:
        out.append(self._html)

    def plain(self) -> str:
        return self._plain


def as_list(*items: Part, sep: str = "\n") -> Text:
    """``items`` one after another with ``sep`` between them (each on its own line)."""
    parts: list[Part] = []
    for index, item in enumerate(items):
        if index:
            parts.append(sep)
        parts.append(item)
    return Text(*parts)
