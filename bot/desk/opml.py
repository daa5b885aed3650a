"""OPML in and out, pure: read the outlines of an uploaded file safely, write the sources.

Reading uses the stdlib expat parser with every document type declaration refused: no DTD
means no entity can be declared, so nothing expands (billion laughs) and nothing external is
fetched; a document with one is :class:`OpmlRefused`, like a broken one. Only ``<outline>``
elements with an address become entries; categories (outlines holding outlines) only nest.

Writing keeps what regionews needs to read a source again beyond OPML's ``xmlUrl``: the
attributes ``region``, ``section``, ``topics`` (comma-separated), ``interval`` (seconds) and,
for a news-list page, ``kind="html"`` with its CSS ``selectors`` as JSON. Readers that do
not know them ignore them (OPML 2.0 allows any attribute on an outline).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from bot.domain.models import HtmlSelectors, SourceKind, SourceState

MAX_OUTLINES = 1_000


class OpmlRefused(Exception):
    """The file is not OPML we read; ``reason`` says why (an English detail, for the log)."""

    def __init__(self, reason: str, *, hostile: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hostile = hostile
        """A document type declaration (the way to entity tricks) was refused."""


@dataclass(frozen=True, slots=True)
class OpmlEntry:
    """One outline with an address (or one that should have had one), as written."""

    line: int
    name: str | None
    url: str | None
    kind: str | None = None
    region: str | None = None
    section: str | None = None
    topics: tuple[str, ...] = ()
    interval_seconds: int | None = None
    selectors: dict[str, Any] | None = None
    """The ``selectors`` attribute, parsed; ``{"!": text}`` when it is not a JSON object."""


class _DoctypeRefused(Exception):
    pass


def read_opml(data: bytes) -> tuple[OpmlEntry, ...]:
    """The outlines of an OPML document, in order; :class:`OpmlRefused` for anything that is
    not a well-formed OPML document without a DTD."""
    parser = expat.ParserCreate()
    entries: list[OpmlEntry] = []
    seen_root: list[str] = []

    def refuse_doctype(*_args: object) -> None:
        raise _DoctypeRefused

    def start(tag: str, attributes: dict[str, str]) -> None:
        if not seen_root:
            seen_root.append(tag)
            if tag != "opml":
                raise OpmlRefused(f"the root element is <{tag}>, not <opml>")
        if tag != "outline":
            return
        url = attributes.get("xmlUrl") or attributes.get("url")
        outline_type = (attributes.get("type") or "").lower()
        if (
            url is None
            and outline_type not in {"rss", "atom", "html"}
            and "kind" not in attributes
        ):
            return  # a category or a plain note: only nests
        if len(entries) >= MAX_OUTLINES:
            raise OpmlRefused(f"more than {MAX_OUTLINES} sources in one file")
        entries.append(_entry(parser.CurrentLineNumber, attributes, url))

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype  # type: ignore[assignment]
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except _DoctypeRefused:
        raise OpmlRefused("the file declares a document type (DTD)", hostile=True) from None
    except expat.ExpatError as error:
        raise OpmlRefused(f"not well-formed XML: {expat.errors.messages[error.code]}") from None
    if not seen_root:
        raise OpmlRefused("the file is empty")
    return tuple(entries)


def _entry(line: int, attributes: dict[str, str], url: str | None) -> OpmlEntry:
    name = (attributes.get("title") or attributes.get("text") or "").strip() or None
    kind = attributes.get("kind") or None
    topics = tuple(
        topic.strip() for topic in (attributes.get("topics") or "").split(",") if topic.strip()
    )
    interval_text = (attributes.get("interval") or "").strip()
    selectors: dict[str, Any] | None = None
    raw_selectors = attributes.get("selectors")
    if raw_selectors is not None:
        try:
            parsed = json.loads(raw_selectors)
        except ValueError:
            parsed = None
        selectors = parsed if isinstance(parsed, dict) else {"!": raw_selectors}
    return OpmlEntry(
        line=line,
        name=name,
        url=url.strip() if url else None,
        kind=kind,
        region=(attributes.get("region") or "").strip() or None,
        section=(attributes.get("section") or "").strip() or None,
        topics=topics,
        interval_seconds=int(interval_text) if interval_text.isdigit() else None,
        selectors=selectors,
    )


def write_opml(sources: tuple[SourceState, ...], *, title: str = "regionews sources") -> bytes:
    """An OPML 2.0 document with one outline per source (see the module docstring)."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title></head>",
        "  <body>",
    ]
    for source in sources:
        lines.append(f"    <outline{_attributes(source)}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _attributes(source: SourceState) -> str:
    pairs: list[tuple[str, str]] = [("text", source.name), ("title", source.name)]
    if source.kind is SourceKind.HTML:
        pairs += [("type", "link"), ("kind", "html"), ("url", source.configured_url)]
        if source.html is not None:
            pairs.append(("selectors", _selectors_json(source.html)))
    else:
        pairs += [("type", "rss"), ("xmlUrl", source.configured_url)]
    if source.region:
        pairs.append(("region", source.region))
    if source.section:
        pairs.append(("section", source.section))
    if source.topics:
        pairs.append(("topics", ",".join(source.topics)))
    pairs.append(("interval", str(source.interval_seconds)))
    return "".join(f" {key}={quoteattr(value)}" for key, value in pairs)


def _selectors_json(selectors: HtmlSelectors) -> str:
    values = {key: value for key, value in asdict(selectors).items() if value is not None}
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
