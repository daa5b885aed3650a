"""A full ingest cycle of 1,000 feeds served locally: a first pass, then a pass where every
feed answers 304. Prints wall times and the peak memory of this process and of the parser
workers. Targets: second pass under 5 s; peak memory of the process under 200 MB.

    python -m bench.bench_ingest ../shared/corpus/feeds/real [--feeds 1000] [--hosts 10]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

from bot.app.composition import ingest_runtime
from bot.app.config import load_settings
from bot.ingest.ingestor import IngestReport, SourceStatus

SECOND_PASS_TARGET_SECONDS = 5.0
PEAK_MEMORY_TARGET_MB = 200.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def summary(report: IngestReport) -> str:
    counts: dict[str, int] = {}
    for source in report.sources:
        counts[source.status.value] = counts.get(source.status.value, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


async def run(corpus: Path, feeds: int, hosts: int) -> bool:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.feed_server",
        str(corpus),
        str(port),
        str(hosts),
        stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None
    await asyncio.wait_for(server.stdout.readline(), timeout=60)
    try:
        with tempfile.TemporaryDirectory() as folder:
            sources = Path(folder) / "sources.toml"
            sources.write_text(
                "".join(
                    f'[[source]]\nname = "feed-{n}"\n'
                    f'url = "http://127.0.0.{n % hosts + 1}:{port}/feed/{n}.xml"\n'
                    for n in range(feeds)
                ),
                encoding="utf-8",
            )
            settings = load_settings(
                _env_file=None,
                database_path=Path(folder) / "bench.sqlite3",
                sources_file=sources,
                fetch_allow_private=True,
                fetch_timeout=60,
            )
            async with ingest_runtime(settings) as runtime:
                ready_mb = peak_mb(resource.RUSAGE_SELF)
                started = time.perf_counter()
                first = await runtime.ingestor.run_once(only_due=False)
                first_seconds = time.perf_counter() - started
                started = time.perf_counter()
                second = await runtime.ingestor.run_once(only_due=False)
                second_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        await server.wait()

    articles = len(first.new_article_ids)
    main_mb = peak_mb(resource.RUSAGE_SELF)
    worker_mb = peak_mb(resource.RUSAGE_CHILDREN)
    not_modified = sum(1 for s in second.sources if s.status is SourceStatus.NOT_MODIFIED)
    print(f"feeds: {feeds} on {hosts} loopback hosts")
    print(f"first pass: {first_seconds:.2f} s, {articles} new articles ({summary(first)})")
    print(f"second pass: {second_seconds:.2f} s ({summary(second)})")
    print(
        f"peak memory: this process {main_mb:.0f} MB ({ready_mb:.0f} MB before the first pass,"
        f" with the tagger built); largest child process {worker_mb:.0f} MB"
    )
    ok = (
        second_seconds < SECOND_PASS_TARGET_SECONDS
        and main_mb < PEAK_MEMORY_TARGET_MB
        and not_modified == feeds
    )
    print(
        f"target: second pass < {SECOND_PASS_TARGET_SECONDS:.0f} s, all 304, peak"
        f" < {PEAK_MEMORY_TARGET_MB:.0f} MB: {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="folder of feed files (e.g. corpus/feeds/real)")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=10)
    args = parser.parse_args()
    return 0 if asyncio.run(run(args.corpus, args.feeds, args.hosts)) else 1


if __name__ == "__main__":
    sys.exit(main())
