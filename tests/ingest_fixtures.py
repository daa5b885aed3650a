"""The Russian fixture feed and news-list page (``tests/fixtures/ingest``) and a sources file
that reads them from a web stand: shared by the ingest, CLI and bot stories."""

from __future__ import annotations

from pathlib import Path

from tests.web_stand import WebStand

INGEST_FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
IRKUTSK_RSS = (INGEST_FIXTURES / "irkutsk.rss").read_bytes()
LIPETSK_PAGE = (INGEST_FIXTURES / "lipetsk_list.html").read_bytes()


def write_sources(path: Path, stand: WebStand, extra: str = "") -> None:
    """Two sources — the Irkutsk feed at ``/irkutsk.rss`` and the Lipetsk page at
    ``/lipetsk/`` — then ``extra`` TOML."""
    path.write_text(
        f"""
[[source]]
name = "irkutsk-export"
url = "{stand.url("/irkutsk.rss")}"
section = "regional"
interval = "10m"

[[source]]
name = "lipetsk-list"
url = "{stand.url("/lipetsk/")}"
kind = "html"
region = "RU-LIP"
[source.html]
item = "div.news-item"
title = "a.title"
date = "span.date"
date_format = "%d %B %Y"
teaser = "p.announce"
{extra}
""",
        encoding="utf-8",
    )
