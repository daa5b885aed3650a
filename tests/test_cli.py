"""The command line as a user runs it: ``python -m bot`` in a child process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.app.cli import EXIT_BROKEN_PIPE
from bot.app.config import setting_variables
from tests.ingest_fixtures import IRKUTSK_RSS, LIPETSK_PAGE
from tests.web_stand import WebStand


def clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in setting_variables()}


async def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> tuple[int, str, str]:
    """``python [-X …] -m bot ARGS`` (leading ``-X OPTION`` pairs go to Python)."""
    environment = clean_environment()
    environment.update(env or {})
    python_options: list[str] = []
    while args[:1] == ("-X",):
        python_options.extend(args[:2])
        args = args[2:]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *python_options,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=environment,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def project_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "DATABASE_PATH": str(tmp_path / "data" / "regionews.sqlite3"),
        "SOURCES_FILE": str(tmp_path / "sources.toml"),
        "FETCH_ALLOW_PRIVATE": "true",
        "PARSE_WORKERS": "1",
    }


@pytest.mark.parametrize("command", ["", "run", "ingest", "tag", "check", "sources"])
async def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    code, out, _ = await run_cli(*([command] if command else []), "--help", cwd=tmp_path)
    assert code == 0
    assert "usage: regionews" in out
    if command:
        assert "--json" in out or command == "run"


async def test_tag_prints_json_lines_for_arguments_and_stdin(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    code, out, err = await run_cli(
        "tag", "--json", "Липецкие экспортеры представили продукцию", cwd=tmp_path, env=project_env
    )
    assert code == 0, err
    assert json_lines(out) == [
        {
            "text": "Липецкие экспортеры представили продукцию",
            "regions": ["RU-LIP"],
            "topics": ["export"],
        }
    ]
    code, out, err = await run_cli(
        "tag", "--json", cwd=tmp_path, env=project_env, stdin="в Приангарье\nКузбасс\n".encode()
    )
    assert code == 0, err
    assert [line["regions"] for line in json_lines(out)] == [["RU-IRK"], ["RU-KEM"]]


async def test_ingest_prints_sources_then_articles(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str]
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS, etag='"1"')
    web_stand.add("/down.xml", b"", status=503, headers={"Retry-After": "120"})
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nname = "irkutsk"\nurl = "{web_stand.url("/irkutsk.rss")}"\n'
        f'[[source]]\nname = "down"\nurl = "{web_stand.url("/down.xml")}"\n',
        encoding="utf-8",
    )
    code, out, err = await run_cli("ingest", "--json", cwd=tmp_path, env=project_env)
    assert code == 0, err
    lines = json_lines(out)
    sources = {line["source"]: line for line in lines if "status" in line}
    assert sources["irkutsk"]["status"] == "new"
    assert sources["down"]["status"] == "error"
    assert "503" in sources["down"]["error"]
    articles = [line for line in lines if "title" in line]
    assert len(articles) == 3
    for article in articles:
        assert set(article) >= {
            "title",
            "url",
            "published_at",
            "regions",
            "section",
            "topics",
            "teaser",
        }
        assert article["regions"] == ["RU-IRK"] or "RU-IRK" in article["regions"]

    code, out, err = await run_cli("ingest", cwd=tmp_path, env=project_env)
    assert code == 0, err
    assert "not modified" in out
    assert "New articles: 0" in out


async def test_check_shows_what_would_be_ingested_without_storing(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str]
) -> None:
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html; charset=utf-8")
    code, out, err = await run_cli(
        "check",
        web_stand.url("/lipetsk/"),
        "--kind", "html", "--item", "div.news-item", "--title", "a.title",
        "--date", "span.date", "--teaser", "p.announce", "--json",
        cwd=tmp_path,
        env=project_env,
    )  # fmt: skip
    assert code == 0, err
    header, *items = json_lines(out)
    assert header == {"source": web_stand.url("/lipetsk/"), "status": "ok", "items": 2}
    assert items[0]["regions"] == ["RU-LIP"]
    assert not (tmp_path / "data").exists()


async def test_bad_input_gets_one_clear_line_and_an_exit_code(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    code, _, err = await run_cli("check", "https://x.example/", "--kind", "html", cwd=tmp_path)
    assert code == 2
    assert "--item and --title" in err

    code, _, err = await run_cli("ingest", cwd=tmp_path, env={**project_env, "FETCH_TIMEOUT": "x"})
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("regionews: Setting FETCH_TIMEOUT")

    code, _, err = await run_cli("run", cwd=tmp_path, env=project_env)
    assert code == 2
    assert "BOT_TOKEN is not set" in err

    code, out, err = await run_cli(
        "check",
        "http://127.0.0.1:9/feed",
        cwd=tmp_path,
        env={**project_env, "FETCH_ALLOW_PRIVATE": "false"},
    )
    assert code == 1
    assert "private network" in out


README = Path(__file__).resolve().parent.parent / "README.md"
TELEGRAM_MODULES = ("aiogram", "apscheduler", "handlers", "bot.telegram", "bot.app.runtime")
PARSER_MODULES = ("fastfeedparser", "feedparser", "selectolax", "pymorphy3", "bot.ingest.feeds")


def imported_modules(importtime_stderr: str) -> set[str]:
    """The modules ``python -X importtime`` reported, in this process and its children."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    } - {"package"}


def loaded(modules: set[str], packages: Sequence[str]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages)}


async def test_commands_that_do_not_talk_to_telegram_never_import_aiogram(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str]
) -> None:
    """aiogram costs seconds to import: only ``run`` may pay for it. An ingest pass where
    every source answers 304 does not even load the parsers (their processes start on the
    first document to parse)."""
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS, etag='"1"')
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nname = "irkutsk"\nurl = "{web_stand.url("/irkutsk.rss")}"\n',
        encoding="utf-8",
    )
    commands = {
        "--help": ["--help"],
        "ingest": ["ingest"],
        "tag": ["tag", "Кузбасс"],
        "check": ["check", web_stand.url("/irkutsk.rss")],
        "sources": ["sources"],
        "304 ingest": ["ingest", "--json"],
    }
    seen: dict[str, set[str]] = {}
    for name, args in commands.items():
        code, out, err = await run_cli("-X", "importtime", *args, cwd=tmp_path, env=project_env)
        assert code == 0, err
        seen[name] = imported_modules(err)
        assert "bot.app.cli" in seen[name]
        assert loaded(seen[name], TELEGRAM_MODULES) == set(), name
    assert json_lines(out)[0]["status"] == "not modified"
    assert loaded(seen["304 ingest"], PARSER_MODULES) == set()
    assert loaded(seen["sources"], PARSER_MODULES) == set()
    assert "pymorphy3" in seen["tag"]  # the check can see what a command imports


async def test_ingest_due_says_how_many_sources_and_when_the_next_is_due(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str]
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS, etag='"1"')
    sources = tmp_path / "sources.toml"
    sources.write_text("# nothing yet\n", encoding="utf-8")
    code, out, err = await run_cli("ingest", "--due", cwd=tmp_path, env=project_env)
    assert (code, out.strip()) == (
        0,
        "No sources to ingest: add [[source]] entries to the sources file.",
    )
    code, out, err = await run_cli("ingest", "--due", "--json", cwd=tmp_path, env=project_env)
    assert json_lines(out) == [
        {"sources": 0, "enabled": 0, "due": 0, "next_source": None, "next_fetch_at": None}
    ]

    sources.write_text(
        "".join(
            f'[[source]]\nname = "feed-{n}"\nurl = "{web_stand.url("/irkutsk.rss")}"\n'
            f'interval = "{n + 1}h"\n'
            for n in range(6)
        ),
        encoding="utf-8",
    )
    code, out, err = await run_cli("ingest", "--json", cwd=tmp_path, env=project_env)
    assert code == 0, err
    assert len([line for line in json_lines(out) if "status" in line]) == 6
    code, out, err = await run_cli("sources", "--json", cwd=tmp_path, env=project_env)
    next_at = {line["source"]: line["next_fetch_at"] for line in json_lines(out)}
    first = min(next_at, key=lambda name: next_at[name])

    code, out, err = await run_cli("ingest", "--due", cwd=tmp_path, env=project_env)
    assert code == 0, err
    hhmm = next_at[first][11:16]
    assert out.strip() == f"6 sources, none due; the next at {hhmm} UTC ({first})"
    code, out, err = await run_cli("ingest", "--due", "--json", cwd=tmp_path, env=project_env)
    assert json_lines(out) == [
        {
            "sources": 6,
            "enabled": 6,
            "due": 0,
            "next_source": first,
            "next_fetch_at": next_at[first],
        }
    ]


@pytest.mark.parametrize("command", ["tag", "sources", "check"])
async def test_a_reader_that_goes_away_stops_the_command_quietly(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str], command: str
) -> None:
    """``regionews sources | head -1``: the pipe closes before we write; no traceback."""
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nname = "irkutsk"\nurl = "{web_stand.url("/irkutsk.rss")}"\n',
        encoding="utf-8",
    )
    args = {
        "tag": ["tag", "Кузбасс", "Приангарье"],
        "sources": ["sources"],
        "check": ["check", web_stand.url("/irkutsk.rss")],
    }[command]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a line
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=tmp_path,
            env={**clean_environment(), **project_env, "LOG_LEVEL": "WARNING"},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_end,
            stderr=asyncio.subprocess.PIPE,
        )
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert err.decode() == ""
    assert process.returncode == EXIT_BROKEN_PIPE


async def test_a_database_that_cannot_be_opened_gets_one_line_every_time(
    tmp_path: Path, project_env: dict[str, str]
) -> None:
    """Its connection thread used to outlive the event loop and print a traceback of its own
    in about half the runs: five runs at once, each one line."""
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    env = {**project_env, "DATABASE_PATH": str(tmp_path)}  # a folder, not a file
    runs = await asyncio.gather(*(run_cli("ingest", cwd=tmp_path, env=env) for _ in range(5)))
    for code, out, err in runs:
        assert code == 2
        assert out == ""
        assert err.splitlines() == [
            f"regionews: cannot open the database at {tmp_path}: unable to open database file"
        ]


def readme_json_examples() -> dict[str, set[frozenset[str]]]:
    """The key sets of the README's JSON examples, by command (fences «```json COMMAND»)."""
    examples: dict[str, set[frozenset[str]]] = {}
    command: str | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```json "):
            command = line.split()[1]
            examples.setdefault(command, set())
        elif line.startswith("```"):
            command = None
        elif command is not None and line.strip():
            examples[command].add(frozenset(json.loads(line)))
    return examples


async def test_the_readme_shows_every_json_line_the_commands_print(
    web_stand: WebStand, tmp_path: Path, project_env: dict[str, str]
) -> None:
    """Every shape each command prints is in the README, and nothing else is."""
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS, etag='"1"')
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "irkutsk"\nurl = "{web_stand.url("/irkutsk.rss")}"\n'
        '[[source]]\nname = "broken"\nurl = "ftp://example.ru/"\n',
        encoding="utf-8",
    )
    printed: dict[str, set[frozenset[str]]] = {}

    async def run(*args: str) -> None:
        code, out, err = await run_cli(*args, "--json", cwd=tmp_path, env=project_env)
        assert code in (0, 1), err
        printed.setdefault(args[0], set()).update(frozenset(line) for line in json_lines(out))

    await run("ingest")  # sources and their articles
    await run("ingest", "--due")  # none due: the summary line
    await run("sources")
    await run("check", web_stand.url("/irkutsk.rss"))
    await run("check", web_stand.url("/missing.rss"))
    await run("tag", "Кузбасс")
    assert readme_json_examples() == printed
