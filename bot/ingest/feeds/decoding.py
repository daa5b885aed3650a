"""Turn a fetched body into text, whatever charset the site used.

The order follows what browsers and mature feed readers do: a byte-order mark, then the
charset from the HTTP ``Content-Type``, then the document's own declaration (the XML
declaration's ``encoding=`` or an HTML ``<meta charset>``), then detection. A charset that
is unknown, or that fails to decode the bytes, is skipped rather than trusted: Russian
sites often serve windows-1251 bytes under a declaration that says utf-8. The reverse slip
is caught too: non-ASCII bytes that are valid UTF-8 are read as UTF-8 whatever legacy code
page the label names, since such bytes practically never occur in windows-1251 or koi8-r text.

Detection tries strict UTF-8 first, then tells windows-1251 from koi8-r by letter case
(the two code pages swap the lower- and upper-case Cyrillic halves, and real text is
mostly lower case), and otherwise reads windows-1252.

The returned text carries no byte-order mark and an XML declaration without ``encoding=``,
so a parser that reads it again (or its UTF-8 encoding) is not misled.
"""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_CHARSET = re.compile(
    rb"""\A\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*["']\s*([A-Za-z0-9._:-]{1,40})"""
)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]{0,300}?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_XML_DECL_ENCODING_ATTR = re.compile(
    r"""\A(\s*<\?xml\b[^>]{0,200}?)\s+encoding\s*=\s*(["'])[^"'>]*\2"""
)
_DECL_SCAN_BYTES = 8192
_DETECT_SAMPLE_BYTES = 65536
_HIGH_LETTERS = re.compile(rb"[\xc0-\xff]+")
# Cyrillic words written in a single-byte code page are runs of bytes >= 0xC0; accented
# letters in Western text come one at a time.
_MIN_CYRILLIC_RUN = 2.0
_CP1251_LOWER = bytes(range(0xE0, 0x100))  # а..я in windows-1251, А..Я in koi8-r
_KOI8_LOWER = bytes(range(0xC0, 0xE0))  # а..я in koi8-r, А..Я in windows-1251


def decode_document(body: bytes, *, http_charset: str | None) -> str:
    """Decode ``body`` to text, with any XML declaration's ``encoding=`` removed."""
    text = _decode(body, http_charset)
    if text.startswith("\ufeff"):
        text = text[1:]
    declaration = _XML_DECL_ENCODING_ATTR.match(text)  # match: a sub would try every position
    return declaration.group(1) + text[declaration.end() :] if declaration else text


def _decode(body: bytes, http_charset: str | None) -> str:
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_codec, errors="replace")
    for charset in (http_charset, _declared_charset(body)):
        codec = _codec(charset, body)
        if codec is None:
            continue
        if not codec.startswith("utf") and not body.isascii():
            # Non-ASCII bytes that form valid UTF-8 are practically never an accident of a
            # legacy code page: the label is wrong (a common slip on Russian sites).
            text = _strict(body, "utf-8")
            if text is not None:
                return text
        text = _strict(body, codec)
        if text is not None:
            return text
    return _detect(body)


def _declared_charset(body: bytes) -> str | None:
    head = body[:_DECL_SCAN_BYTES]
    match = _XML_DECL_CHARSET.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _codec(charset: str | None, body: bytes) -> str | None:
    """The codec ``charset`` names, or None if it names none that fits ``body``."""
    try:
        name = codecs.lookup(charset.strip()).name if charset and charset.strip() else None
    except (LookupError, ValueError):
        return None
    if name and name.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:4]:
        return None  # a declaration copied from elsewhere: these bytes are not UTF-16/32
    return name


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):  # LookupError: not a text codec (base64, ...)
        return None


def _detect(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    sample = body[:_DETECT_SAMPLE_BYTES]
    runs = _HIGH_LETTERS.findall(sample)
    if runs and sum(map(len, runs)) / len(runs) >= _MIN_CYRILLIC_RUN:
        cp1251_lower = len(sample) - len(sample.translate(None, _CP1251_LOWER))
        koi8_lower = len(sample) - len(sample.translate(None, _KOI8_LOWER))
        codec = "cp1251" if cp1251_lower >= koi8_lower else "koi8-r"
        return body.decode(codec, errors="replace")
    return body.decode("cp1252", errors="replace")
