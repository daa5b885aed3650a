"""Command line: ``regionews`` (= ``python -m bot``) and its subcommands.

``run`` (the default) starts the Telegram bot; ``ingest`` makes one pass over the sources;
``tag`` shows what tagging finds in texts; ``check`` tries one source without storing;
``sources`` lists the sources with their fetch state.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.app import event_loop
from bot.app.composition import build_language, fetch_limits, ingest_runtime, load_reference
from bot.app.config import Settings, load_settings
from bot.app.reports import (
    article_json,
    article_text,
    ingest_json_lines,
    ingest_text,
    json_line,
    source_state_json,
    sources_text,
    tags_json,
    tags_text,
)
from bot.app.runtime import run_bot
from bot.domain.clock import system_clock
from bot.domain.errors import ConfigError, FeedError
from bot.domain.models import HtmlSelectors, SourceKind
from bot.ingest.checking import check_source
from bot.ingest.feeds import ParserPool
from bot.ingest.fetching import Fetcher
from bot.ingest.worker_drafter import WorkerDrafter
from storage.database import DatabaseError, StorageFault
from storage.sources import SourceRepository

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_STORAGE = 3
"""The database itself failed (a corrupt page, a full or failing disk): see the one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regionews",
        description=(
            "regionews: regional industry news for Russia, from RSS/Atom feeds and news-list"
            " pages to Telegram. Settings come from the environment and .env (see .env.example)."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser(
        "run",
        help="start the Telegram bot (the default): long polling, or a webhook with WEBHOOK_URL",
        description="Start the Telegram bot with the scheduled ingest. Needs BOT_TOKEN.",
    )

    ingest = commands.add_parser(
        "ingest",
        help="one pass over the sources file: fetch, parse, tag and store",
        description=(
            "Fetch every enabled source of SOURCES_FILE once, store new articles, and print"
            " per source: new / unchanged / not modified / error with the reason, then the new"
            " articles with regions, section and topics."
        ),
    )
    ingest.add_argument("--due", action="store_true", help="only sources whose time has come")
    _add_json(ingest)

    tag = commands.add_parser(
        "tag",
        help="show the regions and topics found in texts",
        description="Tag each TEXT, or each line of standard input when no TEXT is given.",
    )
    tag.add_argument("texts", nargs="*", metavar="TEXT")
    _add_json(tag)

    check = commands.add_parser(
        "check",
        help="fetch and parse one source without storing: try it before adding it",
        description=(
            "Fetch URL and show what an ingest would store. For a news-list page give"
            " --kind html and at least --item and --title CSS selectors."
        ),
    )
    check.add_argument("url", metavar="URL")
    check.add_argument("--kind", choices=[kind.value for kind in SourceKind], default="rss")
    check.add_argument("--item", help="CSS selector of one news item (kind html)")
    check.add_argument("--title", help="CSS selector of the title inside an item")
    check.add_argument("--link", help="CSS selector of the link (default: the title's)")
    check.add_argument("--date", help="CSS selector of the date (text or datetime attribute)")
    check.add_argument("--date-format", help="strptime format, e.g. %%d.%%m.%%Y")
    check.add_argument("--teaser", help="CSS selector of the teaser")
    check.add_argument("--image", help="CSS selector of the image")
    check.add_argument("--region", help="default region code, e.g. RU-IRK")
    check.add_argument("--limit", type=int, default=20, help="items to show (default 20)")
    _add_json(check)

    sources = commands.add_parser(
        "sources",
        help="list the sources with their fetch state",
        description=(
            "Sync the sources file and list every source with its fetch state;"
            " 'sources enable NAME' brings a disabled source back."
        ),
    )
    _add_json(sources)
    sources_commands = sources.add_subparsers(dest="sources_command", metavar="ACTION")
    enable = sources_commands.add_parser(
        "enable",
        help="enable a disabled source again: errors forgotten, fetched on the next pass",
        description="Enable the source NAME of the sources file again and forget its errors.",
    )
    enable.add_argument("name", metavar="NAME")
    return parser


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="machine-readable output: one JSON object a line"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        return event_loop.run(_dispatch(args, settings, parser), settings.event_loop)
    except (ConfigError, DatabaseError) as error:
        print(f"regionews: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_FAILED


async def _dispatch(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    command = args.command or "run"
    if command == "run":
        return await run_bot(settings)
    if command == "ingest":
        return await _ingest(settings, as_json=args.json, only_due=args.due, out=sys.stdout)
    if command == "tag":
        return _tag(settings, args.texts, as_json=args.json, out=sys.stdout)
    if command == "check":
        return await _check(settings, args, parser, out=sys.stdout)
    if command == "sources":
        if args.sources_command == "enable":
            listing = _enable_source(settings, args.name, out=sys.stdout)
        else:
            listing = _sources(settings, as_json=args.json, out=sys.stdout)
        return await listing
    parser.error(f"unknown command {command}")
    return EXIT_CONFIG


async def _ingest(settings: Settings, *, as_json: bool, only_due: bool, out: TextIO) -> int:

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
    if as_json:
        for line in ingest_json_lines(report, articles):
            print(line, file=out)  # noqa: T201
    else:
        print(ingest_text(report, articles, regions), file=out)  # noqa: T201
    return EXIT_OK


def _tag(settings: Settings, texts: Sequence[str], *, as_json: bool, out: TextIO) -> int:

    del settings  # tagging needs no settings, only the bundled reference data
    reference = load_reference()
    language = build_language(reference)
    regions = {region.code: region for region in reference.regions}
    lines = texts or (line.rstrip("\n") for line in sys.stdin)
    for text in lines:
        if not text.strip():
            continue
        tags = language.tagger.tag(text)
        rendered = json_line(tags_json(text, tags)) if as_json else tags_text(text, tags, regions)
        print(rendered, file=out)  # noqa: T201
    return EXIT_OK


async def _check(
    settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser, *, out: TextIO
) -> int:

    kind = SourceKind(args.kind)
    selectors: HtmlSelectors | None = None
    if kind is SourceKind.HTML:
        if not args.item or not args.title:
            parser.error("--kind html needs --item and --title selectors")
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
                print(json_line({"source": args.url, "status": "error", "error": error.reason}))  # noqa: T201
            else:
                print(f"{args.url}: error: {error.reason}", file=out)  # noqa: T201
            return EXIT_FAILED
    regions = {r.code: r for r in reference.regions}
    shown = drafts[: max(args.limit, 0)]
    if args.json:
        print(json_line({"source": args.url, "status": "ok", "items": len(drafts)}), file=out)  # noqa: T201
        for draft in shown:
            print(json_line(article_json(draft)), file=out)  # noqa: T201
    else:
        print(f"{args.url}: {len(drafts)} items would be ingested", file=out)  # noqa: T201
        for draft in shown:
            print(article_text(draft, regions), file=out)  # noqa: T201
    return EXIT_OK


async def _sources(settings: Settings, *, as_json: bool, out: TextIO) -> int:

    async with ingest_runtime(settings) as runtime:
        states = await SourceRepository(runtime.database).configured()
        problems = runtime.sources_file.problems
    if as_json:
        for state in states:
            print(json_line(source_state_json(state)), file=out)  # noqa: T201
        for problem in problems:
            print(json_line({"source": problem.name, "status": "error", "error": problem.reason}))  # noqa: T201
    else:
        print(sources_text(states), file=out)  # noqa: T201
        for problem in problems:
            print(f"{problem.name}  error in the sources file: {problem.reason}", file=out)  # noqa: T201
    return EXIT_OK


async def _enable_source(settings: Settings, name: str, *, out: TextIO) -> int:
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
