"""The two bots ``bench.bench_bot`` compares, each as its own child process.

Each bot runs as it does in production: a separate Python process long-polling the Telegram
test stand over HTTP; the stand stays in the bench's process.

- regionews: ``python -m bot run`` with its settings in the environment, in a temporary
  working directory with an empty sources file and a database the bench prepared
  beforehand (reference data plus :data:`SEEDED_ARTICLES` Irkutsk articles, so ``/latest``
  renders real teasers);
- echo: ``python -m bench.echo_bot``, a bare aiogram Dispatcher on the same session and
  polling settings.

A bot is ready when the stand has its first ``getUpdates`` long poll waiting. It is stopped
with SIGTERM and killed (its whole process group, parser workers included) when it does
not exit in time, or whatever goes wrong in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.composition import load_reference, open_database
from bot.app.config import load_settings, setting_variables
from bot.domain.models import ArticleDraft
from bot.ingest.drafting import title_key
from storage.articles import ArticleRepository
from storage.database import Database
from tests.telegram_stand import TelegramStand

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDED_ARTICLES = 30
SEEDED_REGION = "RU-IRK"
START_TIMEOUT_SECONDS = 120.0  # regionews builds its Russian-language machinery first
STOP_TIMEOUT_SECONDS = 25.0  # regionews lets updates in flight finish (up to 20 s)
KILL_TIMEOUT_SECONDS = 5.0
STDERR_SHOWN_LINES = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class BotCommand:
    """How to start one bot: its name, ``python -m`` arguments and extra environment."""

    name: str
    module_args: tuple[str, ...]
    environment: dict[str, str]


def article_draft(number: int, now: datetime) -> ArticleDraft:
    title = f"Иркутская область: предприятие №{number} нарастило выпуск продукции"
    return ArticleDraft(
        identity_key=f"bench:{number}",
        guid=None,
        url=f"https://news.example.org/irkutsk/{number}",
        title=title,
        title_key=title_key(title),
        teaser="Завод в Приангарье увеличил производство и выходит на новые рынки.",
        text="Подробности о росте производства и экспорта в регионе.",
        image_url=None,
        published_at=now - timedelta(minutes=10 * number),
        fetched_at=now,
        section="regional",
        regions=(SEEDED_REGION,),
        topics=(),
        content_hash=f"bench:{number}",
    )


async def seed_articles(database: Database, count: int = SEEDED_ARTICLES) -> None:
    """Irkutsk articles for /latest to show (a full page of ten and a «more» button)."""
    now = datetime.now(UTC)
    drafts = [article_draft(number, now) for number in range(count)]
    await ArticleRepository(database).save(None, drafts)


def make_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def regionews_command(stand: TelegramStand, folder: Path) -> BotCommand:
    """``python -m bot run`` against ``stand``, its database in ``folder`` made and seeded."""
    sources = make_folder(folder) / "sources.toml"
    sources.write_text("# no sources: the bench seeds articles directly\n", encoding="utf-8")
    database_path = folder / "data" / "regionews.sqlite3"
    settings = load_settings(
        _env_file=None,
        bot_token=stand.token,
        telegram_api_url=stand.base_url,
        database_path=database_path,
        sources_file=sources,
    )
    async with open_database(settings, load_reference()) as database:
        await seed_articles(database)
    return BotCommand(
        "regionews",
        ("bot", "run"),
        {
            "BOT_TOKEN": stand.token,
            "TELEGRAM_API_URL": stand.base_url,
            "DATABASE_PATH": str(database_path),
            "SOURCES_FILE": str(sources),
            "PARSE_WORKERS": "1",  # nothing to parse: no sources
            "LOG_LEVEL": "WARNING",
            # The bot paces its replies within Telegram's global 30 messages/s (shared with
            # the sender); this bench's stand enforces no limits, and the echo bots pace
            # nothing, so the global pace is set to its ceiling to compare handler work.
            # Per-chat pacing stays on. At 30/s, 200 readers' /start (400 messages) take 13 s.
            "DELIVERY_RATE": "1000",
        },
    )


def echo_command(stand: TelegramStand, runtime: str = "bare") -> BotCommand:
    """``python -m bench.echo_bot`` on aiogram as it comes (``bare``) or on regionews's
    session and garbage collector settings (``regionews``)."""
    return BotCommand(
        "echo" if runtime == "bare" else f"echo on {runtime}'s runtime",
        ("bench.echo_bot",),
        {
            "BOT_TOKEN": stand.token,
            "TELEGRAM_API_URL": stand.base_url,
            "LOG_LEVEL": "WARNING",
            "ECHO_RUNTIME": runtime,
        },
    )


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` from field 3 (state) on; None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def process_tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and every live process below it, plus what
    their waited-for children used (``/proc/<pid>/stat`` fields 14–17)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    tree = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    ticks = 0
    for pid in tree:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """CPU seconds of this process's children that have exited and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[2]) == group and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@dataclass
class BotProcess:
    """A running bot process, where its standard error goes, and its CPU use so far."""

    name: str
    process: asyncio.subprocess.Process
    stderr_path: Path
    left_behind: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_tail(self) -> str:
        return "\n".join(self.stderr.splitlines()[-STDERR_SHOWN_LINES:])

    def cpu_seconds(self) -> float:
        """CPU seconds of the bot and its processes so far (while it runs)."""
        return process_tree_cpu_seconds(self.pid)

    async def ready(self, stand: TelegramStand) -> None:
        """Wait until the stand has the bot's first long poll; fail at once if it exits."""
        polling = asyncio.create_task(stand.wait_for(lambda: stand.polling, START_TIMEOUT_SECONDS))
        exited = asyncio.create_task(self.process.wait())
        try:
            await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (polling, exited):
                task.cancel()
            await asyncio.gather(polling, exited, return_exceptions=True)
        if not polling.cancelled() and polling.exception() is None:
            return
        if exited.done() and not exited.cancelled():
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode} before polling:\n"
                f"{self.stderr_tail()}"
            )
        polling.result()  # the stand's timeout, saying what it saw

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit code (killed after a timeout)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                return await self.process.wait()
        except TimeoutError:
            await self.kill()
            raise RuntimeError(
                f"{self.name} did not stop within {STOP_TIMEOUT_SECONDS:g} s of SIGTERM:\n"
                f"{self.stderr_tail()}"
            ) from None

    async def kill(self) -> None:
        """Kill the bot if it still runs, then whatever is left in its process group."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(KILL_TIMEOUT_SECONDS):
                    await self.process.wait()
        # The group id is the bot's pid (a session of its own); it stays taken while any
        # process of the group lives, so only the bot's own processes are signalled here.
        leftovers = _group_members(self.pid)
        if leftovers:
            self.left_behind += len(leftovers)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)


@asynccontextmanager
async def bot_process(command: BotCommand, folder: Path) -> AsyncIterator[BotProcess]:
    """Start ``python -m <command>`` in ``folder`` (a session of its own); kill it and its
    process group on the way out if anything is still running."""
    make_folder(folder)
    environment = {
        key: value for key, value in os.environ.items() if key not in setting_variables()
    }
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    environment.update(command.environment)
    stderr_path = folder / f"{command.name}.stderr.log"
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *command.module_args,
            cwd=folder,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    child = BotProcess(command.name, process, stderr_path)
    try:
        yield child
    finally:
        await child.kill()
