"""Command line: ``regionews`` (= ``python -m bot``) and its subcommands.

``run`` (the default) starts the Telegram bot; ``ingest`` makes one pass over the sources;
``tag`` shows what tagging finds in texts; ``check`` tries one source without storing;
``sources`` lists the sources with their fetch state.

This module imports only the standard library and the cheap domain types: ``--help`` must
answer at once, and only ``run`` pays for aiogram (seconds of pydantic model building), so the
Telegram side (:mod:`bot.app.runtime`) and the ingest side (:mod:`bot.app.commands`) are
imported by the command that needs them. ``tests/test_cli.py`` checks which modules each
command loads.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.errors import ConfigError
from bot.domain.models import SourceKind

if TYPE_CHECKING:
    from bot.app.config import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_STORAGE = 3
"""The database itself failed (a corrupt page, a full or failing disk): see the one line."""
EXIT_BROKEN_PIPE = 141
"""What a shell shows for a tool stopped by SIGPIPE (128 + 13): ``regionews sources | head``."""


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
        description=(
            "Start the Telegram bot with the scheduled ingest. Needs BOT_TOKEN. One bot process"
            " per database: a second one on the same DATABASE_PATH refuses to start."
        ),
    )

    ingest = commands.add_parser(
        "ingest",
        help="one pass over the sources file: fetch, parse, tag and store",
        description=(
            "Fetch every enabled source of SOURCES_FILE once, store new articles, and print"
            " per source: new / unchanged / not modified / error with the reason, then the new"
            " articles with regions, section and topics. Safe beside a running bot."
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
    if args.command == "check" and args.kind == SourceKind.HTML and not (args.item and args.title):
        parser.error("--kind html needs --item and --title selectors")
    try:
        code = _main(args)
        sys.stdout.flush()  # a reader that has gone away shows here, not at exit
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except ConfigError as error:
        print(f"regionews: {error.reason}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_FAILED
    return code


def _main(args: argparse.Namespace) -> int:
    from bot.app import event_loop  # noqa: PLC0415  (see the module docstring)
    from bot.app.config import load_settings  # noqa: PLC0415
    from storage.database import DatabaseError, StorageFault, integrity_verdict  # noqa: PLC0415

    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        command = args.command or "run"
        if command == "run":
            return _run(settings)
        return event_loop.run(_command(command, args, settings), settings.event_loop)
    except DatabaseError as error:
        raise ConfigError(str(error)) from None
    except StorageFault as fault:  # while starting up: reading the sources, say
        verdict = fault.verdict or integrity_verdict(fault.path)
        print(f"regionews: {StorageFault(fault.path, fault.reason, verdict)}", file=sys.stderr)  # noqa: T201
        return EXIT_STORAGE


def _run(settings: Settings) -> int:
    """``run``: check the token is set, take the database's process lock, then import and
    start the Telegram side."""
    from bot.app import event_loop  # noqa: PLC0415
    from bot.app.process_lock import one_process_per_database  # noqa: PLC0415

    settings.require_token()  # a missing token is said at once, not after importing aiogram
    with one_process_per_database(settings.database_path):
        from bot.app.runtime import run_bot  # noqa: PLC0415  (aiogram: seconds to import)

        return event_loop.run(run_bot(settings), settings.event_loop)


async def _command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import commands  # noqa: PLC0415  (no aiogram: see tests/test_cli.py)

    out = sys.stdout
    if command == "ingest":
        return await commands.ingest(settings, as_json=args.json, only_due=args.due, out=out)
    if command == "tag":
        return commands.tag(args.texts, as_json=args.json, out=out)
    if command == "check":
        return await commands.check(settings, args, out=out)
    if command == "sources":
        if args.sources_command == "enable":
            return await commands.enable_source(settings, args.name, out=out)
        return await commands.sources(settings, as_json=args.json, out=out)
    raise ConfigError(f"unknown command {command}")


def _quiet_broken_pipe() -> int:
    """The reader of our output has gone (``| head``): stop quietly, as the standard tools do.

    Standard output is pointed at /dev/null so that the interpreter's last flush at exit does
    not fail again (the recipe of the Python documentation's note on SIGPIPE).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE
