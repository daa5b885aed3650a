"""The command line timed as a whole process, as a user (or cron) meets it.

Two figures, each the median wall time of several runs of ``regionews`` (the console script
next to this Python, else ``python -m bot``) in a child process:

* ``regionews --help``: target < 0.5 s;
* ``regionews ingest`` over 200 feeds that all answer 304 (a local server, ``bench.feed_server``,
  answering conditional requests; a first, untimed pass has stored them): target < 1.5 s.

Prints the figures and the targets; exits non-zero on a miss.

    python -m bench.bench_cli [../shared/corpus/feeds/real] [--feeds 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.app.config import setting_variables

HELP_TARGET_SECONDS = 0.5
INGEST_TARGET_SECONDS = 1.5
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command() -> list[str]:
    """The installed ``regionews`` script beside this interpreter, else ``python -m bot``."""
    script = Path(sys.executable).with_name("regionews")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot"]


def timed(args: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one run, and its standard output; a failed run stops the bench."""
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
    return seconds, done.stdout


def statuses(json_output: str) -> Counter[str]:
    lines = (json.loads(line) for line in json_output.splitlines() if line.strip())
    return Counter(line["status"] for line in lines if "status" in line)


def report(name: str, runs: list[float], target: float) -> bool:
    median = statistics.median(runs)
    ok = median < target
    figures = ", ".join(f"{run:.2f}" for run in runs)
    print(
        f"{name}: median {median:.3f} s (runs {figures}); target < {target:g} s:"
        f" {'PASS' if ok else 'FAIL'}"
    )
    return ok


def run(corpus: Path, feeds: int, hosts: int, repeat: int) -> bool:
    regionews = command()
    environment = {k: v for k, v in os.environ.items() if k not in setting_variables()}
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    print(f"command: {' '.join(regionews)}; {repeat} runs each, median")
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)  # no .env here: the settings below are all there is
        timed([*regionews, "--help"], cwd=folder, env=environment)  # warm the file cache
        help_runs = [
            timed([*regionews, "--help"], cwd=folder, env=environment)[0] for _ in range(repeat)
        ]
        help_ok = report("regionews --help", help_runs, HELP_TARGET_SECONDS)

        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.feed_server",
                str(corpus.resolve()),
                str(port),
                str(hosts),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise SystemExit(f"the feed server did not start (corpus {corpus})")
            sources = folder / "sources.toml"
            sources.write_text(
                "".join(
                    f'[[source]]\nname = "feed-{n}"\n'
                    f'url = "http://127.0.0.{n % hosts + 1}:{port}/feed/{n}.xml"\n'
                    for n in range(feeds)
                ),
                encoding="utf-8",
            )
            environment.update(
                DATABASE_PATH=str(folder / "bench.sqlite3"),
                SOURCES_FILE=str(sources),
                FETCH_ALLOW_PRIVATE="true",
                FETCH_TIMEOUT="60",
            )
            ingest = [*regionews, "ingest", "--json"]
            started = time.perf_counter()
            _, first = timed(ingest, cwd=folder, env=environment)
            print(
                f"first pass (untimed, stores them): {time.perf_counter() - started:.2f} s,"
                f" {dict(statuses(first))}"
            )
            if statuses(first) != Counter({"new": feeds}):
                raise SystemExit("the first pass did not store every feed: see the figures")
            ingest_runs: list[float] = []
            all_304 = True
            for _ in range(repeat):
                seconds, output = timed(ingest, cwd=folder, env=environment)
                ingest_runs.append(seconds)
                all_304 = all_304 and statuses(output) == Counter({"not modified": feeds})
        finally:
            server.terminate()
            server.wait()
    ingest_ok = report(
        f"regionews ingest, {feeds} feeds all 304", ingest_runs, INGEST_TARGET_SECONDS
    )
    if not all_304:
        print(f"FAIL: a pass did not answer 'not modified' for all {feeds} sources")
    return help_ok and ingest_ok and all_304


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "corpus",
        type=Path,
        nargs="?",
        default=Path("../shared/corpus/feeds/real"),
        help="folder of feed files (default ../shared/corpus/feeds/real)",
    )
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"bench_cli: no corpus folder at {args.corpus}: give its path")
        return 2
    return 0 if run(args.corpus, args.feeds, args.hosts, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
