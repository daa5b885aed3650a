"""Benchmark of feed parsing: plain feedparser against our ``parse_feed``, same bytes, same run.

Run: ``python -m bench.bench_parse FOLDER [--repeat N]``, e.g. with the shared corpus of 200
real feeds, ``/work/shared/corpus/feeds/real``. Every file in the folder is a feed body
(``URLS.tsv``, if present, maps file names to feed addresses). Both parsers run in this
process, one after the other; each side's best CPU time (``time.process_time``, which other
work on a shared machine disturbs less than the wall clock) over ``--repeat`` rounds counts.
Prints feeds, entries and entries per second for each, the ratio ours/feedparser with
PASS/FAIL against the target, and the feeds feedparser reads (bozo = 0 or entries > 0) that
ours fails: there must be none.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import feedparser

from bot.domain.errors import FeedError
from bot.ingest.feeds.feed_parser import parse_feed

TARGET_RATIO = 20.0
URL_LIST = "URLS.tsv"


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    url: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Round:
    seconds: float
    entries: int
    readable: frozenset[str]  # feeds this parser read
    failures: dict[str, str]  # feed name -> why it failed


def load_feeds(folder: Path) -> list[Feed]:
    urls: dict[str, str] = {}
    url_list = folder / URL_LIST
    if url_list.is_file():
        for line in url_list.read_text(encoding="utf-8").splitlines():
            name, _, url = line.partition("\t")
            urls[name.strip()] = url.strip()
    return [
        Feed(path.name, urls.get(path.name) or f"https://example.invalid/{path.name}", body)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != URL_LIST
        for body in [path.read_bytes()]
    ]


class Tally:
    """Time, entries and outcomes of one parser over one round."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.entries = 0
        self.readable: set[str] = set()
        self.failures: dict[str, str] = {}

    def done(self) -> Round:
        return Round(self.seconds, self.entries, frozenset(self.readable), dict(self.failures))


def run_feedparser(feeds: Sequence[Feed]) -> Round:
    tally = Tally()
    for feed in feeds:
        started = time.process_time()
        result = feedparser.parse(feed.body)
        tally.seconds += time.process_time() - started
        tally.entries += len(result.entries)
        if not result.get("bozo") or result.entries:
            tally.readable.add(feed.name)
        else:
            tally.failures[feed.name] = str(result.get("bozo_exception"))
    return tally.done()


def run_ours(feeds: Sequence[Feed]) -> Round:
    tally = Tally()
    for feed in feeds:
        started = time.process_time()
        try:
            tally.entries += len(parse_feed(feed.body, url=feed.url).items)
        except FeedError as error:
            tally.failures[feed.name] = f"{type(error).__name__}: {error.reason}"
        else:
            tally.readable.add(feed.name)
        tally.seconds += time.process_time() - started
    return tally.done()


def best_of(rounds: Sequence[Round]) -> Round:
    return min(rounds, key=lambda each: each.seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, help="a folder of feed bodies, one per file")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per parser (best counts)")
    args = parser.parse_args(argv)
    feeds = load_feeds(args.folder)
    if not feeds:
        parser.error(f"no feed files in {args.folder}")
    megabytes = sum(len(feed.body) for feed in feeds) / 1e6
    print(f"{len(feeds)} feeds, {megabytes:.1f} MB, best of {args.repeat} round(s)")

    theirs = best_of([run_feedparser(feeds) for _ in range(args.repeat)])
    ours = best_of([run_ours(feeds) for _ in range(args.repeat)])
    for label, result in (("feedparser", theirs), ("ours", ours)):
        rate = result.entries / result.seconds
        print(
            f"{label:>10}: {result.entries} entries in {result.seconds:.2f} CPU s, "
            f"{rate:,.0f} entries/s, {len(result.failures)} feeds failed"
        )
    ratio = (ours.entries / ours.seconds) / (theirs.entries / theirs.seconds)
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"ratio ours/feedparser: {ratio:.1f}x (target {TARGET_RATIO:g}x) {verdict}")
    regressions = sorted(theirs.readable - ours.readable)
    print(f"feeds feedparser reads that ours fails: {len(regressions)}")
    for name in regressions:
        print(f"  {name}: {ours.failures[name]}")
    return 0 if verdict == "PASS" and not regressions else 1


if __name__ == "__main__":
    raise SystemExit(main())
