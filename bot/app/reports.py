"""Rendering ingest results for the command line: readable text or one JSON object a line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.models import Article, ArticleDraft, Region, SourceState, Tags
from bot.ingest.ingestor import IngestReport, SourceReport


def source_json(report: SourceReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "status": report.status.value,
        "new": report.new,
        "updated": report.updated,
        "error": report.error,
        "disabled": report.disabled_reason,
        "planned": report.planned,
    }


def article_json(article: Article | ArticleDraft, *, source: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": article.title,
        "url": article.url,
        "published_at": article.published_at.isoformat(),
        "regions": list(article.regions),
        "section": article.section,
        "topics": list(article.topics),
        "teaser": article.teaser,
        "image_url": article.image_url,
    }
    if source is not None:
        data["source"] = source
    return data


def tags_json(text: str, tags: Tags) -> dict[str, Any]:
    return {"text": text, "regions": list(tags.regions), "topics": list(tags.topics)}


def json_line(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class IdleSummary:
    """Why a pass fetched nothing: how many sources there are, and which one is next."""

    sources: int
    enabled: int
    next_source: str | None = None
    next_fetch_at: datetime | None = None


def idle_summary(states: Iterable[SourceState]) -> IdleSummary:
    states = tuple(states)
    enabled = [state for state in states if state.enabled]
    scheduled = [state for state in enabled if state.next_fetch_at is not None]
    if not scheduled:
        return IdleSummary(len(states), len(enabled))
    first = min(scheduled, key=lambda state: (state.next_fetch_at, state.name))
    return IdleSummary(len(states), len(enabled), first.name, first.next_fetch_at)


def idle_json(summary: IdleSummary) -> dict[str, Any]:
    at = summary.next_fetch_at
    return {
        "sources": summary.sources,
        "enabled": summary.enabled,
        "due": 0,
        "next_source": summary.next_source,
        "next_fetch_at": at.isoformat() if at else None,
    }


def idle_text(summary: IdleSummary, *, now: datetime) -> str:
    if not summary.sources:
        return "No sources to ingest: add [[source]] entries to the sources file."
    counted = f"{summary.sources} {_plural(summary.sources, 'source', 'sources')}"
    if not summary.enabled:
        return f"{counted}, all disabled: see regionews sources for why"
    at = summary.next_fetch_at
    if at is None or summary.next_source is None:
        return f"{counted}, none due"
    when = f"{at:%H:%M} UTC" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M} UTC"
    return f"{counted}, none due; the next at {when} ({summary.next_source})"


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def ingest_json_lines(
    report: IngestReport,
    articles: Mapping[str, Sequence[Article]],
    idle: IdleSummary | None = None,
) -> Iterable[str]:
    """Sources first, then each source's new articles (``articles`` by source name); when no
    source was fetched, one summary line (``idle``) saying why."""
    for source in (*report.problems, *report.sources):
        yield json_line(source_json(source))
    if idle is not None and not report.sources:
        yield json_line(idle_json(idle))
    for source in report.sources:
        for article in articles.get(source.source, ()):
            yield json_line(article_json(article, source=source.source))


def _source_line(report: SourceReport, width: int) -> str:
    detail = ""
    if report.new or report.updated:
        detail = f" ({report.new} new, {report.updated} updated)"
    if report.error:
        detail = f": {report.error}"
    if report.disabled_reason:
        detail += f"\n{'':{width}}  DISABLED: {report.disabled_reason}"
    return f"{report.source:<{width}}  {report.status.value}{detail}"


def article_text(article: Article | ArticleDraft, regions: Mapping[str, Region]) -> str:
    names = ", ".join(
        f"{regions[code].name} ({code})" if code in regions else code for code in article.regions
    )
    lines = [
        f"• {article.published_at:%Y-%m-%d %H:%M %Z}  {article.title}",
        f"  {article.url or '(no link)'}",
        f"  regions: {names or '—'} · section: {article.section}"
        f" · topics: {', '.join(article.topics) or '—'}",
    ]
    if article.teaser:
        lines.append(f"  {article.teaser}")
    return "\n".join(lines)


def ingest_text(
    report: IngestReport,
    articles: Mapping[str, Sequence[Article]],
    regions: Mapping[str, Region],
    idle: IdleSummary | None = None,
    *,
    now: datetime,
) -> str:
    sources = (*report.problems, *report.sources)
    lines: list[str] = []
    if sources:
        width = max(len(source.source) for source in sources)
        lines.extend(_source_line(source, width) for source in sources)
    if not report.sources:
        lines.append(idle_text(idle or IdleSummary(0, 0), now=now))
        return "\n".join(lines)
    lines.append("")
    lines.append(f"New articles: {len(report.new_article_ids)}")
    lines.append(f"Deliveries planned: {report.planned_deliveries}")
    for source in report.sources:
        lines.extend(article_text(article, regions) for article in articles.get(source.source, ()))
    return "\n".join(lines)


def check_header_json(url: str, items: int) -> dict[str, Any]:
    return {"source": url, "status": "ok", "items": items}


def check_header_text(url: str, items: int) -> str:
    return f"{url}: {items} {_plural(items, 'item', 'items')} would be ingested"


def tags_text(text: str, tags: Tags, regions: Mapping[str, Region]) -> str:
    names = ", ".join(
        f"{regions[code].name} ({code})" if code in regions else code for code in tags.regions
    )
    return f"{text}\n  regions: {names or '—'}\n  topics: {', '.join(tags.topics) or '—'}"


def sources_text(sources: Iterable[SourceState]) -> str:
    lines: list[str] = []
    for source in sources:
        state = "enabled" if source.enabled else f"DISABLED: {source.disabled_reason}"
        lines.append(f"{source.name}  [{source.kind.value}] {source.url}")
        lines.append(f"  {state}; errors in a row: {source.consecutive_errors}")
        if source.last_error:
            lines.append(f"  last error: {source.last_error}")
        if source.last_success_at:
            lines.append(f"  last success: {source.last_success_at:%Y-%m-%d %H:%M} UTC")
        if source.next_fetch_at:
            lines.append(f"  next fetch: {source.next_fetch_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines) if lines else "No sources configured."


def source_state_json(source: SourceState) -> dict[str, Any]:
    return {
        "source": source.name,
        "url": source.url,
        "kind": source.kind.value,
        "enabled": source.enabled,
        "disabled": source.disabled_reason,
        "consecutive_errors": source.consecutive_errors,
        "last_error": source.last_error,
        "last_success_at": source.last_success_at.isoformat() if source.last_success_at else None,
        "next_fetch_at": source.next_fetch_at.isoformat() if source.next_fetch_at else None,
    }
