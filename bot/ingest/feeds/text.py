"""Plain text and canonical links from what feeds and pages hold.

``clean_html`` turns an HTML fragment into readable text with paragraph breaks kept as
newlines; ``make_teaser`` cuts such text to a short teaser at a word boundary;
``canonical_url`` gives one spelling of a link, so the same article reached through a
tracking-tagged address is recognised as already seen.

What a feed says is capped, so a hostile feed cannot make one item megabytes long: a title
at :data:`MAX_TITLE_CHARS` (cut at a word, with «…»), a guid at :data:`MAX_GUID_CHARS` (a
longer one keeps its head and a hash of the whole, so two long guids stay two), a link or
image address at :data:`MAX_URL_CHARS` (a longer one is dropped: a cut address leads nowhere).
"""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

# A private-use character marks where a block element starts or ends; after the parser has
# flattened the markup, the text between two marks is one paragraph.
_PARAGRAPH = "\ue000"
# Case-sensitive with the usual upper-case spellings listed: IGNORECASE makes this pass,
# which runs over every article body, about three times slower.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|li|ul|ol|h[1-6]|tr|table|blockquote|pre|section|article|header|footer"
    r"|figure|figcaption|dl|dt|dd|aside|nav|main|br|hr|P|DIV|LI|UL|OL|H[1-6]|TR|TABLE|BR|HR)\b)"
)
_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head"]
# Most fragments have none of them; looking first spares the parser a tree walk per fragment.
_HAS_INVISIBLE = re.compile(r"<(?:script|style|noscript|template|head)\b", re.IGNORECASE)
_TEASER_TRAILING = " \t\n,.;:!?…-–—(«“„\"'"
MAX_TITLE_CHARS = 500
"""The longest title kept (a teaser shows at most 200 characters of it)."""
MAX_GUID_CHARS = 512
"""The longest guid kept as it is; a longer one becomes its head plus a SHA-256 of the whole."""
MAX_URL_CHARS = 2048
"""The longest link or image address kept; a longer one is dropped."""
_TITLE_HTML_CHARS = 8 * MAX_TITLE_CHARS  # markup read for a title: plenty, and never 10 MB
_HTTP_PORTS = {"http": 80, "https": 443}
_ABSOLUTE = ("http://", "https://")
# An absolute link already in canonical form apart from its query and fragment: lower-case
# scheme and host, no port or user, a path.
_SIMPLE_URL = re.compile(r"(https?)://([a-z0-9.-]+/[^?#\s\\]*)(?:\?([^#\s]*))?(?:#.*)?\Z")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "ysclid",
        "_openstat",
        "from",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
    }
)


def clean_html(html_text: str) -> str:
    """Readable text of an HTML fragment: no markup, scripts or styles; one line a paragraph.

    Entities are unescaped and runs of whitespace collapsed. Text without ``<`` is taken as
    plain text (its own line breaks are kept) and skips the HTML parser.
    """
    if "<" not in html_text:
        plain = html.unescape(html_text) if "&" in html_text else html_text
        return _join_paragraphs(plain.splitlines())
    marked = _BLOCK_TAG.sub(_PARAGRAPH + "<", html_text.replace(_PARAGRAPH, ""))
    tree = LexborHTMLParser(marked)
    if _HAS_INVISIBLE.search(html_text):
        tree.strip_tags(_INVISIBLE_TAGS, recursive=True)
    return _join_paragraphs(tree.text().split(_PARAGRAPH))


def _join_paragraphs(paragraphs: list[str]) -> str:
    """One line a paragraph, whitespace collapsed, empty ones dropped (C loops only)."""
    return "\n".join(filter(None, map(" ".join, map(str.split, paragraphs))))


def make_teaser(text: str, limit: int = 280) -> str:
    """``text`` on one line, cut to at most ``limit`` characters at a word boundary.

    A cut teaser loses its trailing punctuation and ends with «…»; an uncut one is returned
    whole.
    """
    head = text[: 4 * limit + 16]  # enough to cut from, unless most of it is whitespace
    flat = " ".join(head.split())
    if len(flat) <= limit:
        if len(head) < len(text):
            return make_teaser(" ".join(text.split()), limit)
        return flat
    if limit < 2:
        return "…"[:limit]
    cut = flat[: limit - 1]
    if not flat[limit - 1].isspace():
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return (cut.rstrip(_TEASER_TRAILING) or cut) + "…"


def clean_title(raw: str) -> str:
    """The text of a title's HTML (see :func:`clean_html`), at most :data:`MAX_TITLE_CHARS`."""
    text = clean_html(raw[:_TITLE_HTML_CHARS])
    return text if len(text) <= MAX_TITLE_CHARS else make_teaser(text, MAX_TITLE_CHARS)


def cap_title(text: str) -> str:
    """Title text already clean, cut to :data:`MAX_TITLE_CHARS` if longer."""
    return text if len(text) <= MAX_TITLE_CHARS else make_teaser(text, MAX_TITLE_CHARS)


def cap_guid(guid: str) -> str:
    """``guid``, or for one over :data:`MAX_GUID_CHARS` its head and a SHA-256 of the whole."""
    if len(guid) <= MAX_GUID_CHARS:
        return guid
    digest = hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{guid[: MAX_GUID_CHARS - len(digest) - 1]}#{digest}"


def canonical_url(url: str | None, *, base: str | None = None) -> str | None:
    """One spelling of an http(s) link, or None if ``url`` is empty or not a web address.

    An address longer than :data:`MAX_URL_CHARS` (before or after) is None too.

    Relative links resolve against ``base``. The scheme and host are lower-cased, a default
    port, the fragment and tracking parameters (``utm_*``, ``fbclid``, ``yclid``, ``from``,
    ``ref`` and the like) are removed; the remaining parameters keep their order and spelling.
    """
    if url is None:
        return None
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS:
        return None
    simple = _SIMPLE_URL.match(url)
    if simple:  # most feed links: skip urllib, which costs several times more
        scheme, host_and_path, query = simple.groups()
        query = _without_tracking(query) if query else ""
        return f"{scheme}://{host_and_path}{'?' if query else ''}{query}"
    absolute = urljoin(base, url) if base and not url.startswith(_ABSOLUTE) else url
    try:
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _HTTP_PORTS or not host:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _HTTP_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    joined = urlunsplit((scheme, netloc, parts.path or "/", _without_tracking(parts.query), ""))
    return joined if len(joined) <= MAX_URL_CHARS else None


def _without_tracking(query: str) -> str:
    return "&".join(piece for piece in query.split("&") if piece and not _is_tracking(piece))


def _is_tracking(query_piece: str) -> bool:
    name = unquote(query_piece.partition("=")[0]).strip().lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS
