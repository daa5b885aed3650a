"""Parse fetched documents in worker processes, so a hostile or huge one costs one call.

``ParserPool`` keeps a few processes, each with one pipe and an address-space limit
(``RLIMIT_AS``). A call takes an idle worker, sends it the job and awaits the answer on a
thread, so the event loop never blocks. What can go wrong, and what the caller gets:

* the parse raises a ``FeedError``: the same type with the same reason;
* the parse needs more memory than the limit: ``FeedTooLarge`` ("parsing needed more than
  N MB");
* the parse runs past ``timeout_seconds``: the worker is killed and replaced, and the caller
  gets ``FeedTimeout`` ("parsing took longer than N s");
* the worker dies (a crash in C code, killed from outside): it is replaced and the caller
  gets ``FeedMalformed`` naming how it stopped.

Other calls in flight on other workers are not disturbed. ``ProcessPoolExecutor`` is not used
because it cannot kill the process running one task.

For benchmarks and tools that want no processes, call ``feed_parser.parse_feed`` and
``html_list.parse_html_list`` directly: they are the synchronous in-process mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import resource
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

from bot.domain.errors import FeedError, FeedMalformed, FeedTimeout, FeedTooLarge
from bot.domain.models import HtmlSelectors, ParsedFeed
from bot.ingest.feeds.feed_parser import parse_feed
from bot.ingest.feeds.html_list import parse_html_list

logger = logging.getLogger(__name__)

ParseFunction = Callable[..., Any]
"""A module-level function (picklable by name) that a worker can run."""
_Result = TypeVar("_Result")

_READY = "ready"
_START_TIMEOUT_SECONDS = 60.0
_OUT_OF_MEMORY_EXIT = 3  # a worker that could not even receive its job
_STOP_GRACE_SECONDS = 2.0
_RESTART_DELAY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class _Job:
    function: ParseFunction
    kwargs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Failure:
    error: type[FeedError]
    reason: str


class _WorkerDiedError(Exception):
    def __init__(self, exitcode: int | None) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode


def _serve(conn: Connection, memory_limit_bytes: int) -> None:
    """A worker process: answer jobs from ``conn`` until the pool closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, hard))
    conn.send(_READY)  # the parsers are imported: time spent from here on is parsing time
    too_much = _Failure(FeedTooLarge, f"parsing needed more than {memory_limit_bytes >> 20} MB")
    while True:
        try:
            job: _Job = conn.recv()
        except EOFError:
            return
        except MemoryError:  # the pipe is now out of step; the pool sees the exit code
            raise SystemExit(_OUT_OF_MEMORY_EXIT) from None
        reply: object
        try:
            reply = job.function(**job.kwargs)
        except FeedError as error:
            reply = _Failure(type(error), error.reason)
        except MemoryError:
            reply = too_much
        except Exception as error:  # a bug in a parser must not look like a dead worker
            logger.exception("parser %s failed", getattr(job.function, "__name__", "?"))
            reply = _Failure(
                FeedMalformed, f"the parser failed on this document ({type(error).__name__})"
            )
        del job
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(too_much)


@dataclass(eq=False, slots=True)  # compared and hashed by identity: kept in a set
class _Worker:
    process: BaseProcess
    conn: Connection

    def exchange(self, job: _Job) -> object:
        """Send ``job`` and wait for the answer (on a thread: this blocks)."""
        try:
            self.conn.send(job)
            reply: object = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(_STOP_GRACE_SECONDS)
            raise _WorkerDiedError(self.process.exitcode) from None
        return reply

    def kill(self) -> None:
        self.process.kill()
        self.process.join()

    def stop(self) -> None:
        self.conn.close()  # the worker reads EOF and returns
        self.process.join(_STOP_GRACE_SECONDS)
        if self.process.is_alive():
            self.kill()


class ParserPool:
    """A few parser processes shared by all feeds; use ``async with ParserPool() as pool``."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout_seconds: float = 10.0,
        memory_limit_mb: int = 512,
        start_method: Literal["forkserver", "spawn"] = "forkserver",
    ) -> None:
        if workers < 1 or timeout_seconds <= 0 or memory_limit_mb < 1:
            raise ValueError("workers, timeout_seconds and memory_limit_mb must be positive")
        self._size = workers
        self._timeout = timeout_seconds
        self._memory_limit_mb = memory_limit_mb
        self._context: ForkServerContext | SpawnContext = (
            multiprocessing.get_context("forkserver")
            if start_method == "forkserver"
            else multiprocessing.get_context("spawn")
        )
        if isinstance(self._context, ForkServerContext):
            # The fork server imports the parsers once, so a new worker starts in milliseconds.
            # (Takes effect only if this process's fork server is not running yet.)
            self._context.set_forkserver_preload(
                ["__main__", __name__, "bot.ingest.worker_drafter"]
            )
        self._idle: asyncio.Queue[_Worker] | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._workers: set[_Worker] = set()
        self._replacements: set[asyncio.Task[None]] = set()
        self._closing = False

    async def __aenter__(self) -> Self:
        self._closing = False
        self._threads = ThreadPoolExecutor(2 * self._size + 1, thread_name_prefix="parser-pool")
        self._idle = asyncio.Queue()
        loop = asyncio.get_running_loop()
        started = await asyncio.gather(
            *(loop.run_in_executor(self._threads, self._start_worker) for _ in range(self._size))
        )
        for worker in started:
            self._workers.add(worker)
            self._idle.put_nowait(worker)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closing = True
        await asyncio.gather(*self._replacements, return_exceptions=True)
        threads = self._threads
        if threads is not None:
            loop = asyncio.get_running_loop()
            await asyncio.gather(
                *(loop.run_in_executor(threads, worker.stop) for worker in self._workers)
            )
            threads.shutdown(wait=False)
        self._workers.clear()
        self._idle = self._threads = None

    async def parse_feed(
        self, body: bytes, *, url: str, http_charset: str | None = None
    ) -> ParsedFeed:
        """``feed_parser.parse_feed`` in a worker."""
        return await self.run(parse_feed, body=body, url=url, http_charset=http_charset)

    async def parse_html_list(
        self,
        body: bytes,
        *,
        url: str,
        selectors: HtmlSelectors,
        http_charset: str | None = None,
    ) -> ParsedFeed:
        """``html_list.parse_html_list`` in a worker."""
        return await self.run(
            parse_html_list, body=body, url=url, selectors=selectors, http_charset=http_charset
        )

    async def run(self, function: Callable[..., _Result], /, **kwargs: Any) -> _Result:
        """``function(**kwargs)`` in a worker, with the pool's time and memory limits.

        ``function`` must be importable by name (a module-level function) and raise only
        ``FeedError`` types that take a single reason.
        """
        if self._idle is None or self._threads is None:
            raise RuntimeError("use the pool inside 'async with ParserPool(...)'")
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()
        exchange = loop.run_in_executor(self._threads, worker.exchange, _Job(function, kwargs))
        try:
            reply = await asyncio.wait_for(asyncio.shield(exchange), self._timeout)
        except TimeoutError:
            self._replace(worker, exchange)
            raise FeedTimeout(f"parsing took longer than {self._timeout:g} s") from None
        except _WorkerDiedError as died:
            self._replace(worker, exchange)
            raise self._death_error(died.exitcode) from None
        except BaseException:  # cancelled: the worker may be busy for a long time yet
            self._replace(worker, exchange)
            raise
        self._idle.put_nowait(worker)
        if isinstance(reply, _Failure):
            raise reply.error(reply.reason)
        return cast(_Result, reply)  # what ``function`` returned, unpickled

    def _death_error(self, exitcode: int | None) -> FeedError:
        if exitcode == _OUT_OF_MEMORY_EXIT:
            return FeedTooLarge(f"parsing needed more than {self._memory_limit_mb} MB")
        if exitcode is not None and exitcode < 0:
            how = f"was stopped by signal {signal.Signals(-exitcode).name}"
        else:
            how = f"exited with code {exitcode}"
        return FeedMalformed(
            f"the parser process {how} while reading this document; it has been restarted"
        )

    def _start_worker(self) -> _Worker:
        """Start one worker process (blocking: runs on a pool thread)."""
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve,
            args=(child_end, self._memory_limit_mb << 20),
            name="regionews-parser",
            daemon=True,
        )
        process.start()
        child_end.close()
        try:
            ready = parent_end.poll(_START_TIMEOUT_SECONDS) and parent_end.recv() == _READY
        except (EOFError, OSError):  # it died while starting
            ready = False
        if not ready:
            process.kill()
            process.join()
            parent_end.close()
            raise OSError(f"a parser process did not start within {_START_TIMEOUT_SECONDS:g} s")
        return _Worker(process, parent_end)

    def _replace(self, worker: _Worker, exchange: asyncio.Future[Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._replace_worker(worker, exchange))
        self._replacements.add(task)
        task.add_done_callback(self._replacements.discard)

    async def _replace_worker(self, worker: _Worker, exchange: asyncio.Future[Any]) -> None:
        threads, idle = self._threads, self._idle
        assert threads is not None and idle is not None
        loop = asyncio.get_running_loop()
        self._workers.discard(worker)
        await loop.run_in_executor(threads, worker.kill)
        with contextlib.suppress(Exception):
            await exchange  # its thread sees the pipe close once the process is gone
        worker.conn.close()
        while not self._closing:
            try:
                fresh = await loop.run_in_executor(threads, self._start_worker)
            except OSError:
                logger.exception("could not start a parser process; retrying")
                await asyncio.sleep(_RESTART_DELAY_SECONDS)
            else:
                self._workers.add(fresh)
                idle.put_nowait(fresh)
                return
