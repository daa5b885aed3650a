"""A real HTTP server on 127.0.0.1 for tests: serve canned feeds and pages, watch the requests.

Use the ``web_stand`` fixture or the class directly. The fixture is defined here as
``web_stand_fixture`` under the fixture name ``web_stand``; import the function into your
test module (the different Python name keeps ruff's F811 quiet about test parameters)::

    from tests.web_stand import WebStand, web_stand_fixture  # noqa: F401  (the fixture)

    async def test_reader_gets_the_feed(web_stand: WebStand) -> None:
        web_stand.add("/feed.xml", RSS, etag='"v1"')
        ...fetch web_stand.url("/feed.xml")...
        assert web_stand.hits("/feed.xml") == 1
        assert web_stand.last_headers("/feed.xml")["User-Agent"].startswith("regionews")

Routes can be added or replaced at any time, also while the server runs: one catch-all
route looks the path up in the stand's own table. Unknown paths answer 404.
"""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

import pytest_asyncio
from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class CannedAnswer:
    """A fixed answer; answers 304 to a request whose validators match its own."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        headers = CIMultiDict(self.headers)
        if self.etag is not None:
            headers[hdrs.ETAG] = self.etag
        if self.last_modified is not None:
            headers[hdrs.LAST_MODIFIED] = self.last_modified
        if self._not_modified(request):
            headers.popall(hdrs.CONTENT_TYPE, None)
            headers.popall(hdrs.CONTENT_ENCODING, None)
            return web.Response(status=304, headers=headers)
        return web.Response(status=self.status, body=self.body, headers=headers)

    def _not_modified(self, request: web.Request) -> bool:
        if self.status != 200:
            return False
        if_none_match = request.headers.get(hdrs.IF_NONE_MATCH)
        if if_none_match is not None and self.etag is not None:
            return self.etag in (tag.strip() for tag in if_none_match.split(","))
        if_modified_since = request.headers.get(hdrs.IF_MODIFIED_SINCE)
        return if_modified_since is not None and if_modified_since == self.last_modified


class WebStand:
    """An aiohttp server on 127.0.0.1 at a free port, with routes registered per test."""

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._hits: Counter[str] = Counter()
        self._last_headers: dict[str, CIMultiDictProxy[str]] = {}
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a handler stops when its client hangs up (trickling handlers).
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        self._port: int | None = None

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site.port

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> WebStand:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the web stand is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute address of ``path`` (which starts with ``/``) on this stand."""
        return self.base_url + path

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = DEFAULT_CONTENT_TYPE,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
    ) -> None:
        """Serve a fixed answer at ``path`` (replacing what was there).

        With ``etag``/``last_modified`` the answer carries them and a conditional request
        that matches gets a 304. ``gzip=True`` sends the body gzip-compressed with
        ``Content-Encoding: gzip``. ``content_type=None`` sends no ``Content-Type`` unless
        ``headers`` has one.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers.setdefault(hdrs.CONTENT_TYPE, content_type)
        if gzip:
            data = gzip_module.compress(data)
            all_headers[hdrs.CONTENT_ENCODING] = "gzip"
        self._routes[path] = CannedAnswer(
            body=data,
            status=status,
            headers=all_headers,
            etag=etag,
            last_modified=last_modified,
        )

    def add_redirect(self, path: str, location: str, *, status: int = 301) -> None:
        """Answer ``path`` with a redirect to ``location`` (sent exactly as given)."""
        self.add(path, status=status, headers={hdrs.LOCATION: location}, content_type=None)

    def add_handler(self, path: str, handler: Handler) -> None:
        """Serve ``path`` with an aiohttp handler of your own (slow, streaming, stateful...)."""
        self._routes[path] = handler

    def hits(self, path: str) -> int:
        """How many requests reached ``path``."""
        return self._hits[path]

    def last_headers(self, path: str) -> CIMultiDictProxy[str]:
        """The request headers of the latest request to ``path`` (KeyError if none came)."""
        return self._last_headers[path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self._hits[path] += 1
        self._last_headers[path] = request.headers
        handler = self._routes.get(path)
        if handler is None:
            return web.Response(status=404, text="no such page on the web stand")
        return await handler(request)


def closed_port_url(path: str = "/") -> str:
    """An address on 127.0.0.1 where nothing listens (a port just freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def trickling(*, interval: float = 0.2, size: int = 100) -> Handler:
    """A handler that announces ``size`` bytes and sends them one per ``interval`` seconds."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={hdrs.CONTENT_LENGTH: str(size)})
        await response.prepare(request)
        for _ in range(size):
            await response.write(b"x")
            await asyncio.sleep(interval)
        await response.write_eof()
        return response

    return handler


@pytest_asyncio.fixture(name="web_stand")
async def web_stand_fixture() -> AsyncIterator[WebStand]:
    """A started :class:`WebStand`, closed after the test."""
    async with WebStand() as stand:
        yield stand
