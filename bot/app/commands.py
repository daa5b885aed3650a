"""The command-line commands that do not talk to Telegram: ``ingest``, ``tag``, ``check``,
``sources``. Nothing here imports aiogram (``tests/test_cli.py`` checks), so a cron job's
``regionews ingest`` starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.app.composition import fetch_limits, ingest_runtime, load_reference
from bot.app.config import Settings
from bot.app.reports import (
    article_json,
    article_text,
    check_header_json,
    check_header_text,
    idle_summary,
    ingest_json_lines,
    ingest_text,
    json_line,
    source_state_json,
    sources_text,
    tags_json,
    tags_text,
)
from bot.domain.clock import system_clock
from bot.domain.errors import ConfigError, FeedError
from bot.domain.models import HtmlSelectors, SourceKind
from storage.database import StorageFault
from storage.sources import SourceRepository

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_STORAGE = 3
"""The database itself failed (a corrupt page, a full or failing disk): see the one line."""


async def ingest(settings: Settings, *, as_json: bool, only_due: bool, out: TextIO) -> int:
    async with ingest_runtime(settings) as runtime:
        try:
            report = await runtime.ingestor.run_once(only_due=only_due)
        except StorageFault as fault:
            stopped = f"regionews: ingest stopped, no source counted as failed: {fault}"
            print(stopped, file=sys.stderr)  # noqa: T201
            return EXIT_STORAGE
        regions = {region.code: region for region in runtime.reference.regions}
        articles = {
            source.source: await runtime.ingestor.articles(source.new_article_ids)
            for source in report.sources
            if source.new_article_ids
        }
        idle = None
        if not report.sources:  # say why nothing ran: no sources, none enabled, none due
            idle = idle_summary(await SourceRepository(runtime.database).configured())
    if as_json:
        for line in ingest_json_lines(report, articles, idle):
            print(line, file=out)  # noqa: T201
    else:
        print(ingest_text(report, articles, regions, idle, now=system_clock()), file=out)  # noqa: T201
    return EXIT_OK


def tag(texts: Sequence[str], *, as_json: bool, out: TextIO) -> int:
    from bot.tagging.language import Language  # noqa: PLC0415  (only this command tags here)

    reference = load_reference()  # tagging needs no settings, only the bundled reference data
    language = Language.build(reference.regions, reference.topics)
    regions = {region.code: region for region in reference.regions}
    lines = texts or (line.rstrip("\n") for line in sys.stdin)
    for text in lines:
        if not text.strip():
            continue
        tags = language.tagger.tag(text)
        rendered = json_line(tags_json(text, tags)) if as_json else tags_text(text, tags, regions)
        print(rendered, file=out)  # noqa: T201
    return EXIT_OK


async def check(settings: Settings, args: argparse.Namespace, *, out: TextIO) -> int:
    from bot.ingest.checking import check_source  # noqa: PLC0415
    from bot.ingest.feeds import ParserPool  # noqa: PLC0415  (parsers: only check and ingest)
    from bot.ingest.fetching import Fetcher  # noqa: PLC0415
    from bot.ingest.worker_drafter import WorkerDrafter  # noqa: PLC0415

    kind = SourceKind(args.kind)
    selectors: HtmlSelectors | None = None
    if kind is SourceKind.HTML:
        selectors = HtmlSelectors(
            item=args.item,
            title=args.title,
            link=args.link,
            date=args.date,
            date_format=args.date_format,
            teaser=args.teaser,
            image=args.image,
        )
    reference = load_reference()
    region = args.region.upper() if args.region else None
    if region is not None and region not in {r.code for r in reference.regions}:
        raise ConfigError(f"--region {args.region}: not a region code we know (RU-IRK, …)")
    zones = {r.code: r.timezone for r in reference.regions}
    limits = fetch_limits(settings)
    async with (
        Fetcher.create_session(limits) as session,
        ParserPool(
            workers=1,
            timeout_seconds=settings.parse_timeout,
            memory_limit_mb=settings.parse_memory_mb,
        ) as pool,
    ):
        try:
            drafts = await check_source(
                args.url,
                kind=kind,
                selectors=selectors,
                region=region,
                timezone=zones.get(region or "", settings.default_timezone),
                fetcher=Fetcher(session, limits, clock=system_clock),
                drafter=WorkerDrafter(pool),
                clock=system_clock,
            )
        except FeedError as error:
            if args.json:
                failure = {"source": args.url, "status": "error", "error": error.reason}
                print(json_line(failure), file=out)  # noqa: T201
            else:
                print(f"{args.url}: error: {error.reason}", file=out)  # noqa: T201
            return EXIT_FAILED
    regions = {r.code: r for r in reference.regions}
    shown = drafts[: max(args.limit, 0)]
    if args.json:
        print(json_line(check_header_json(args.url, len(drafts))), file=out)  # noqa: T201
        for draft in shown:
            print(json_line(article_json(draft)), file=out)  # noqa: T201
    else:
        print(check_header_text(args.url, len(drafts)), file=out)  # noqa: T201
        for draft in shown:
            print(article_text(draft, regions), file=out)  # noqa: T201
    return EXIT_OK


async def sources(settings: Settings, *, as_json: bool, out: TextIO) -> int:
    async with ingest_runtime(settings) as runtime:
        states = await SourceRepository(runtime.database).configured()
        problems = runtime.sources_file.problems
    if as_json:
        for state in states:
            print(json_line(source_state_json(state)), file=out)  # noqa: T201
        for problem in problems:
            failure = {"source": problem.name, "status": "error", "error": problem.reason}
            print(json_line(failure), file=out)  # noqa: T201
    else:
        print(sources_text(states), file=out)  # noqa: T201
        for problem in problems:
            print(f"{problem.name}  error in the sources file: {problem.reason}", file=out)  # noqa: T201
    return EXIT_OK


async def enable_source(settings: Settings, name: str, *, out: TextIO) -> int:
    """``sources enable NAME``: one line; an unknown NAME exits 2 naming the known ones."""
    async with ingest_runtime(settings) as runtime:
        repository = SourceRepository(runtime.database)
        before = await repository.enable(name, now=system_clock())
        known = ", ".join(state.name for state in await repository.configured())
    if before is None:
        known = known or f"none, add [[source]] entries to {settings.sources_file}"
        unknown = f"regionews: no source named {name!r} in the sources file; known: {known}"
        print(unknown, file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    was = "already enabled" if before.disabled_reason is None else "enabled again"
    if before.disabled_reason is not None:
        was += f" (was disabled: {before.disabled_reason})"
    print(f"{name}: {was}; errors forgotten, fetched on the next pass", file=out)  # noqa: T201
    return EXIT_OK
