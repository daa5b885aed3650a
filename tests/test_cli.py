"""The command line as a user runs it: ``python -m bot`` in a child process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app.config import setting_variables
from tests.ingest_fixtures import IRKUTSK_RSS, LIPETSK_PAGE
from tests.web_stand import WebStand


async def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> tuple[int, str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in setting_variables()
    }
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
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
