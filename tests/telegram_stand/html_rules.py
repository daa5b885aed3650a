"""Telegram's text formatting rules: the HTML parse mode, entity arrays and UTF-16 offsets.

``parse_html`` follows tdlib's ``parse_html`` (the parser behind the Bot API): the same
allowed tags, the same error wording and byte offsets. It is stricter than Telegram in one
place, on purpose and switchable: a bare ``&`` that does not start ``&lt; &gt; &amp; &quot;``
or a numeric reference is rejected (Telegram keeps it as text; the Bot API documentation
says it must be escaped, and an unescaped ``&`` in a feed title is a bug worth catching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]
"""A Bot API ``MessageEntity`` as JSON: ``type``, ``offset``, ``length`` and extras."""

_SPACES = " \t\r\n\v\f\0"
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "tg-emoji"})
_PLAIN_RUN = re.compile(r"[^&<]+")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NUMERIC_ENTITY = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_NAMED_ENTITY = re.compile(r"&([a-zA-Z]{1,10});")
_LINK_SCHEMES = ("http://", "https://", "tg://", "ftp://", "ton://")
_BARE_DOMAIN = re.compile(r"^[\w.-]+\.[a-zA-Z]{2,}(?:[/?#]\S*)?$")

ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is Telegram's detail after the colon."""


@dataclass(frozen=True)
class FormattedText:
    """Plain text and its entities, as Telegram stores a message after parsing."""

    text: str
    entities: tuple[Entity, ...] = ()

    def entity_list(self) -> list[Entity]:
        return [dict(entity) for entity in self.entities]


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    sequence: int
    expandable: bool = False
    attributes: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    numeric = _NUMERIC_ENTITY.match(source, index)
    if numeric:
        hex_digits, dec_digits = numeric.groups()
        code = int(hex_digits, 16) if hex_digits else int(dec_digits)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), numeric.end()
        return None
    named = _NAMED_ENTITY.match(source, index)
    if named and named.group(1) in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[named.group(1)], named.end()
    return None


def parse_html(source: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Parse ``parse_mode=HTML`` text into plain text and entities, or raise like Telegram."""
    return _HtmlParser(source, strict_ampersand=strict_ampersand).run()


class _HtmlParser:
    def __init__(self, source: str, *, strict_ampersand: bool) -> None:
        self.source = source
        self.strict_ampersand = strict_ampersand
        self.out: list[str] = []
        self.utf16_pos = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []
        self.opened_at: dict[int, int] = {}
        self.opened = 0

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16_pos += utf16_len(chunk)

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def run(self) -> FormattedText:
        source, i = self.source, 0
        while i < len(source):
            char = source[i]
            if char == "&":
                decoded = _decode_entity(source, i)
                if decoded is None:
                    if self.strict_ampersand:
                        raise self.fail(
                            "Character '&' must be escaped as &amp; "
                            f"at byte offset {_byte_offset(source, i)}"
                        )
                    decoded = ("&", i + 1)
                self.emit(decoded[0])
                i = decoded[1]
            elif char != "<":
                plain = _PLAIN_RUN.match(source, i)  # up to the next "&" or "<", at once
                assert plain is not None
                self.emit(plain.group())
                i = plain.end()
            elif source.startswith("</", i):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        outer_first = sorted(self.entities, key=lambda entity: self.opened_at[id(entity)])
        return strip_formatted("".join(self.out), outer_first)

    def start_tag(self, begin: int) -> int:
        source = self.source
        i = begin + 1
        while i < len(source) and source[i] not in _SPACES and source[i] != ">":
            i += 1
        if i >= len(source):
            raise self.fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        name = source[begin + 1 : i].lower()
        if name not in ALLOWED_TAGS:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        self.opened += 1
        tag = _OpenTag(name, argument="", utf16_offset=self.utf16_pos, sequence=self.opened)
        i = self.attributes(tag, i, begin)
        if name == "span" and tag.attributes.get("class") != "tg-spoiler":
            raise self.fail(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        self.stack.append(tag)
        return i + 1

    def attributes(self, tag: _OpenTag, i: int, begin: int) -> int:
        source = self.source
        unclosed = f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
        while True:
            while i < len(source) and source[i] in _SPACES:
                i += 1
            if i >= len(source):
                raise self.fail(unclosed)
            if source[i] == ">":
                return i
            name_start = i
            while i < len(source) and source[i] not in _SPACES and source[i] not in "=>":
                i += 1
            attribute = source[name_start:i].lower()
            while i < len(source) and source[i] in _SPACES:
                i += 1
            if i >= len(source):
                raise self.fail(unclosed)
            if source[i] != "=":
                if tag.name == "blockquote" and attribute == "expandable":
                    tag.expandable = True
                continue
            i += 1
            while i < len(source) and source[i] in _SPACES:
                i += 1
            if i >= len(source):
                raise self.fail(unclosed)
            value, i = self.attribute_value(i)
            if i >= len(source):
                raise self.fail(unclosed)
            tag.attributes[attribute] = value
            self.apply_attribute(tag, attribute, value)

    def attribute_value(self, i: int) -> tuple[str, int]:
        source = self.source
        if source[i] not in "'\"":
            start = i
            while i < len(source) and (source[i].isalnum() or source[i] in ".-"):
                i += 1
            if i < len(source) and source[i] not in _SPACES and source[i] != ">":
                raise self.fail(
                    f"Unexpected end of name token at byte offset {_byte_offset(source, start)}"
                )
            return source[start:i].lower(), i
        quote = source[i]
        i += 1
        value: list[str] = []
        while i < len(source) and source[i] != quote:
            if source[i] == "&" and (decoded := _decode_entity(source, i)) is not None:
                value.append(decoded[0])
                i = decoded[1]
                continue
            value.append(source[i])
            i += 1
        return "".join(value), i + 1

    @staticmethod
    def apply_attribute(tag: _OpenTag, attribute: str, value: str) -> None:
        if (
            (tag.name == "a" and attribute == "href")
            or (tag.name == "tg-emoji" and attribute == "emoji-id")
            or (tag.name == "code" and attribute == "class" and value.startswith("language-"))
        ):
            tag.argument = value.removeprefix("language-") if tag.name == "code" else value

    def end_tag(self, begin: int) -> int:
        source = self.source
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
        i = begin + 2
        while i < len(source) and source[i] not in _SPACES and source[i] != ">":
            i += 1
        end_name = source[begin + 2 : i].lower()
        while i < len(source) and source[i] in _SPACES:
            i += 1
        if i >= len(source) or source[i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self.close(tag)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.utf16_pos - tag.utf16_offset
        if length <= 0:
            return
        entity: Entity = {"offset": tag.utf16_offset, "length": length}
        if tag.name == "a":
            url = normalize_link(tag.argument or self.text_since(tag.utf16_offset))
            if url is None:
                return
            entity.update(type="text_link", url=url)
        elif tag.name == "tg-emoji":
            if not tag.argument:
                raise self.fail("Custom emoji entity must contain a custom emoji identifier")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "span":
            entity["type"] = "spoiler"
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.expandable else "blockquote"
        elif tag.name == "pre":
            entity["type"] = "pre"
            self.absorb_inner_code(entity)
        else:
            entity["type"] = _SIMPLE_TAGS[tag.name]
            if tag.name == "code" and tag.argument:
                entity["language"] = tag.argument
        self.opened_at[id(entity)] = tag.sequence
        self.entities.append(entity)

    def absorb_inner_code(self, pre: Entity) -> None:
        """``<pre><code class="language-x">`` is one ``pre`` entity with a language."""
        for index, inner in enumerate(self.entities):
            if (
                inner["type"] == "code"
                and inner["offset"] == pre["offset"]
                and inner["length"] == pre["length"]
            ):
                del self.entities[index]
                if "language" in inner:
                    pre["language"] = inner["language"]
                return

    def text_since(self, utf16_offset: int) -> str:
        encoded = "".join(self.out).encode("utf-16-le")
        return encoded[utf16_offset * 2 :].decode("utf-16-le")


def normalize_link(url: str) -> str | None:
    """The link a text_link entity gets, or ``None`` when Telegram would drop the entity."""
    url = url.strip()
    if url.lower().startswith(_LINK_SCHEMES):
        return url
    if _BARE_DOMAIN.match(url):
        return f"http://{url}"
    return None


def strip_formatted(text: str, entities: list[Entity]) -> FormattedText:
    """Trim surrounding whitespace like Telegram, moving and clipping entities to match."""
    stripped = text.strip()
    if stripped == text:
        kept = [dict(entity) for entity in entities]
    else:
        lead = utf16_len(text[: len(text) - len(text.lstrip())])
        total = utf16_len(stripped)
        kept = []
        for entity in entities:
            start = max(entity["offset"] - lead, 0)
            end = min(entity["offset"] + entity["length"] - lead, total)
            if end > start:
                kept.append({**entity, "offset": start, "length": end - start})
    kept.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText(stripped, tuple(kept))


def check_entities(text: str, raw: object) -> FormattedText:
    """Validate an ``entities`` array sent with plain text (``aiogram.utils.formatting``)."""
    if not isinstance(raw, list):
        raise EntityParseError("entities must be an Array of MessageEntity")
    total = utf16_len(text)
    entities: list[Entity] = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict):
            raise EntityParseError(f"entity {position} must be an Object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if kind not in ENTITY_TYPES:
            raise EntityParseError(f"unsupported entity type {kind!r} in entity {position}")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise EntityParseError(f"entity {position} must have integer offset and length")
        if offset < 0 or length <= 0 or offset + length > total:
            raise EntityParseError(
                f"entity {position} ({kind}) at offset {offset} with length {length} is "
                f"outside the text of {total} UTF-16 code units"
            )
        required = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}
        if kind in required and not item.get(required[kind]):
            raise EntityParseError(f"entity {position} ({kind}) needs {required[kind]}")
        if kind == "text_link" and normalize_link(str(item["url"])) is None:
            raise EntityParseError(f"wrong URL in text_link entity {position}")
        entities.append(dict(item))
    return strip_formatted(text, entities)


def bot_command_entities(text: str) -> list[Entity]:
    """The ``bot_command`` entities Telegram marks in a user's message."""
    entities: list[Entity] = []
    for match in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities
