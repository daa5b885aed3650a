"""The wheel carries everything the bot needs at run time: its gettext catalogues
(``bot/telegram/locales``), migrations and reference data.

The test builds the wheel from a copy of the working tree, installs it into a fresh venv
that borrows the dev venv's dependencies but NOT the editable regionews (a ``.pth`` file with
the dev site-packages as a plain path line: Python does not run that directory's own ``.pth``
files, so the editable finder never loads), and runs ``python -m bot run`` from a directory
with no source in it against the strict stand: the Russian welcome proves the catalogues
came along. It takes ~20 s, mostly the bot's start-up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app.cli import EXIT_OK
from bot.app.config import setting_variables
from tests.telegram_stand import RateLimits, TelegramStand
from tests.test_bot_process import BotProcess, started_bot

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "bot", "handlers", "storage")
STEP_SECONDS = 120.0
WELCOME_START = "Здравствуйте! Я присылаю новости промышленности и экспорта"


def run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=STEP_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def clean_environment() -> dict[str, str]:
    """This process's environment without the bot's settings and without PYTHONPATH."""
    hidden = {*setting_variables(), "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {key: value for key, value in os.environ.items() if key not in hidden}


def purelib(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(run(python, "-c", code, cwd=python.parent).strip())


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The python of a fresh venv with the regionews wheel installed (and nothing editable)."""
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path / "wheels"
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", source, "-w", wheels,
        cwd=tmp_path,
    )  # fmt: skip
    [wheel] = wheels.glob("regionews-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    dev_packages = Path(sysconfig.get_paths()["purelib"])
    (purelib(python) / "regionews-dev-dependencies.pth").write_text(f"{dev_packages}\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    probe = "import importlib.util as u; print(u.find_spec('bot'))"
    assert run(python, "-c", probe, cwd=outside).strip() == "None"  # the editable is not seen

    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
        cwd=tmp_path,
    )  # fmt: skip
    return python


@asynccontextmanager
async def installed_bot(
    python: Path, folder: Path, stand: TelegramStand
) -> AsyncIterator[BotProcess]:
    """``python -m bot run`` of the installed wheel in ``folder`` against ``stand``, without
    PYTHONPATH (so nothing of the checkout is importable)."""
    command = (python, "-m", "bot", "run")
    async with started_bot(command, folder, stand, clean_environment()) as process:
        yield process


async def test_the_installed_wheel_runs_the_bot_in_russian(
    installed: Path, telegram_stand: TelegramStand, tmp_path: Path
) -> None:
    stand = telegram_stand
    stand.set_limits(RateLimits.off())
    folder = tmp_path / "service"  # no source code here or above it
    where = (
        "import bot, handlers, storage; print(bot.__file__, handlers.__file__, storage.__file__)"
    )
    folder.mkdir()
    files = run(installed, "-c", where, cwd=folder).split()
    venv = installed.parent.parent
    assert all(Path(file).is_relative_to(venv) for file in files), files

    async with installed_bot(installed, folder, stand) as bot:
        await bot.until(stand, "long polling", lambda: stand.polling)
        anna = stand.user(1001, "Анна")
        chat = stand.private_chat(anna)
        await anna.send(chat, "/start")
        welcome, wizard = await stand.wait_for_messages(chat, count=2, timeout=10)
        assert await bot.stop() == EXIT_OK

    assert (welcome.text or "").startswith(WELCOME_START)
    assert wizard.text is not None and wizard.text.startswith("Шаг 1 из 4")
    assert "Traceback" not in bot.stderr
