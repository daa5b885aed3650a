"""Decoding fetched bodies: BOM, HTTP charset, declaration, then detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from bot.ingest.feeds.decoding import decode_document

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
TITLE = "Как пережить новогоднюю ночь"
ENCODED_FIXTURES = [
    "cp1251_decl.xml",
    "cp1251_nodecl.xml",
    "cp1251_decl_says_utf8.xml",
    "koi8r_decl.xml",
    "koi8r_nodecl.xml",
    "utf8_bom.xml",
    "utf8_nodecl.xml",
]
RUSSIAN = "<rss><channel><title>Новости промышленности Прикамья</title></channel></rss>"


@pytest.mark.parametrize("name", ENCODED_FIXTURES)
def test_every_russian_encoding_of_the_same_item_decodes_to_the_same_text(name: str) -> None:
    text = decode_document((FIXTURES / name).read_bytes(), http_charset=None)

    assert f"<title>{TITLE}</title>" in text
    assert "Наверное, единственное" in text
    assert "encoding=" not in text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("name", ["cp1251_decl.xml", "koi8r_decl.xml"])
def test_the_declaration_keeps_its_version_but_loses_its_encoding(name: str) -> None:
    text = decode_document((FIXTURES / name).read_bytes(), http_charset=None)

    assert text.startswith('<?xml version="1.0"?>')


def test_the_http_charset_wins_over_detection() -> None:
    body = RUSSIAN.encode("koi8-r")

    assert decode_document(body, http_charset="KOI8-R") == RUSSIAN


def test_the_http_charset_wins_over_the_declaration() -> None:
    body = ('<?xml version="1.0" encoding="windows-1251"?>' + RUSSIAN).encode("koi8-r")

    assert decode_document(body, http_charset="koi8-r") == '<?xml version="1.0"?>' + RUSSIAN


@pytest.mark.parametrize("charset", ["x-no-such-charset", "base64", "utf-8", "", "  "])
def test_a_useless_http_charset_falls_through_to_the_declaration(charset: str) -> None:
    body = ('<?xml version="1.0" encoding="windows-1251"?>' + RUSSIAN).encode("cp1251")

    assert decode_document(body, http_charset=charset) == '<?xml version="1.0"?>' + RUSSIAN


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "iso-8859-1"])
def test_valid_utf8_wins_over_a_single_byte_label(charset: str) -> None:
    body = (f'<?xml version="1.0" encoding="{charset}"?>' + RUSSIAN).encode("utf-8")

    assert decode_document(body, http_charset=charset) == '<?xml version="1.0"?>' + RUSSIAN


def test_an_unknown_declared_charset_falls_through_to_detection() -> None:
    body = ("<?xml version='1.0' encoding='klingon-8'?>" + RUSSIAN).encode("cp1251")

    assert decode_document(body, http_charset=None) == "<?xml version='1.0'?>" + RUSSIAN


def test_a_utf16_declaration_on_single_byte_text_is_ignored() -> None:
    body = ('<?xml version="1.0" encoding="utf-16"?>' + RUSSIAN).encode("utf-8")

    assert decode_document(body, http_charset=None) == '<?xml version="1.0"?>' + RUSSIAN


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_a_utf16_byte_order_mark_beats_a_wrong_http_charset(bom: bytes, codec: str) -> None:
    body = bom + RUSSIAN.encode(codec)

    assert decode_document(body, http_charset="windows-1251") == RUSSIAN


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        "<meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>",
    ],
)
def test_an_html_page_is_decoded_by_its_meta_charset(meta: str) -> None:
    page = f"<html><head>{meta}</head><body>Новости Липецкой области</body></html>"

    assert decode_document(page.encode("cp1251"), http_charset=None) == page


def test_western_text_without_a_declaration_is_read_as_windows_1252() -> None:
    text = "<rss><title>Café résumé naïve</title></rss>"

    assert decode_document(text.encode("cp1252"), http_charset=None) == text


def test_empty_bytes_decode_to_empty_text() -> None:
    assert decode_document(b"", http_charset="utf-8") == ""
