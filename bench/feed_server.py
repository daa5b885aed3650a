"""A local feed server for benchmarks, run as its own process.

``python -m bench.feed_server CORPUS_DIR PORT HOSTS``: serves ``/feed/N.xml`` as the N-th file
of the corpus (cycling), with an ETag, answering 304 to a matching ``If-None-Match``, on
127.0.0.1 … 127.0.0.HOSTS (all loopback), so per-host limits apply as with real sites.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import sys
from pathlib import Path

from aiohttp import web


def load_corpus(folder: Path) -> list[bytes]:
    return [
        path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != "URLS.tsv"
    ]


def build_app(bodies: list[bytes]) -> web.Application:
    etags = [f'"{hashlib.sha1(body).hexdigest()[:16]}"' for body in bodies]

    async def feed(request: web.Request) -> web.Response:
        try:
            number = int(request.match_info["number"])
        except ValueError:
            raise web.HTTPNotFound() from None
        index = number % len(bodies)
        if request.headers.get("If-None-Match") == etags[index]:
            return web.Response(status=304, headers={"ETag": etags[index]})
        return web.Response(
            body=bodies[index],
            headers={"ETag": etags[index], "Content-Type": "application/xml"},
        )

    app = web.Application()
    app.router.add_get("/feed/{number}.xml", feed)
    return app


async def serve(folder: Path, port: int, hosts: int) -> None:
    runner = web.AppRunner(build_app(load_corpus(folder)), access_log=None)
    await runner.setup()
    for host in range(1, hosts + 1):
        await web.TCPSite(runner, f"127.0.0.{host}", port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=1800)  # never outlives a benchmark run
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
