"""The sender: drains the outbox through Telegram as fast as its limits allow, and never
loses or doubles a message (beyond the one in flight per chat when the process dies).

A pass (:meth:`Sender.run_once`) claims due deliveries (``storage.outbox.claim_due``: at most
one per chat, marked 'sending'), sends them in priority order, each when the
:class:`~bot.delivery.pacing.Pacer` has a slot for it, and records Telegram's answer:

==========================================  =================================================
Telegram's answer                           what happens
==========================================  =================================================
the message (its ``message_id``)            ``mark_sent`` with the id (edits need it)
429 ``retry_after``                         the scope it concerns (chat or global) pauses;
                                            the delivery goes back, due after the wait
                                            (``retry_later``); other chats go on. The sender
                                            never sleeps on a 429 inside a call.
403, «chat not found»                       the chat becomes inactive through the subscriber
                                            service (its caches stay right); its pending
                                            deliveries are cancelled with the reason
migrated to a supergroup                    the chat's rules move to the new id (the
                                            subscriber service), the message is sent there
«can't parse entities»                      sent again as plain text; the defect is logged
a photo Telegram cannot fetch               sent again as a text card
network error, 5xx                          back-off (``retry_later``) until the deadline
                                            after the first attempt, then ``mark_failed``
any other refusal (400)                     ``mark_failed`` with Telegram's words
==========================================  =================================================

Crash safety: a delivery is 'sending' from its claim until its answer is recorded. At start
:meth:`Sender.recover` turns 'sending' back into 'pending' (``recover_in_flight``): those
may have reached Telegram before the process died, and are sent again. The claim allows one
'sending' row per chat, so at most one message per chat is doubled per crash, and none is
lost since nothing is marked before Telegram accepted it.

The sender has its own ``Bot`` (its own session, without the handlers' 429 retry middleware),
and shares the :class:`~bot.delivery.throttle.Throttle` with the handlers' bot: replies and
pushes to one chat take turns, and count against the same limits.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol, TypeVar, cast

from aiogram import Bot
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LinkPreviewOptions

from bot.delivery.channels import posting_refused
from bot.delivery.pacing import Scope, is_private, send_order
from bot.delivery.rendering import Outgoing, Renderer, plain_text
from bot.delivery.throttle import Sleep, Throttle
from bot.domain.clock import Clock
from bot.domain.delivery import OutboxItem
from storage import outbox, sending
from storage.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_DEADLINE = timedelta(hours=24)
FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=10)
IDLE_POLL_SECONDS = 1.0
MIN_POLL_SECONDS = 0.05
STOP_CHECK_SECONDS = 0.5
PACED_HOLD_SECONDS = 2.0
"""A chat a reply got to first is waited for in place up to this long, else put back."""

_TARGET_KINDS = frozenset({"channel", "supergroup"})  # what may be linked as a target
_GONE_DESCRIPTIONS = ("chat not found", "user not found", "peer_id_invalid")
_PARSE_DESCRIPTIONS = ("can't parse entities", "can't find end of the entity", "unsupported")
_PHOTO_DESCRIPTIONS = (
    "wrong file identifier",
    "failed to get http url content",
    "wrong type of the web page content",
    "photo_invalid_dimensions",
    "image_process_failed",
    "wrong remote file",
)


class Revisions(Protocol):
    """Edits and retractions of delivered messages (:class:`bot.delivery.revisions.RevisionPass`),
    run after each pass at the lowest priority."""

    async def run_once(self, stopped: Callable[[], bool] = ...) -> object: ...


class ChannelKeeper(Protocol):
    """What the sender asks of the channel service (``ChannelService`` is one): pause a
    channel the bot may no longer post to (pending posts cancelled, admins told once)."""

    async def pause(self, chat_id: int, reason: str) -> bool: ...


class FailureWatch(Protocol):
    """Told of every delivery that failed for good (``AdminFailureWatch`` tells the admins
    when they pile up)."""

    async def failed(self, chat_id: int, reason: str) -> object: ...


class ChatKeeper(Protocol):
    """What the sender asks of the subscriber service (``SubscriptionService`` is one)."""

    async def deactivate(self, chat_id: int, reason: str) -> bool: ...

    async def migrate_chat(self, old_id: int, new_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class SenderPolicy:
    """How the sender works (settings ``DELIVERY_*``)."""

    concurrency: int = 8
    """Sends in flight at once (each to another chat)."""
    batch: int = 32
    """Deliveries claimed at a time; a claim waits at most this many sends for the next."""
    retry_deadline: timedelta = DEFAULT_RETRY_DEADLINE
    paid_broadcast: bool = False
    """Send with ``allow_paid_broadcast`` (Telegram lifts the 30/s limit for Stars)."""
    idle_poll_seconds: float = IDLE_POLL_SECONDS


def backoff(attempts: int) -> timedelta:
    """The wait before trying again after ``attempts`` tries that hit a network error or a
    5xx: 5 s, 10 s, 20 s, … up to 10 minutes."""
    doubled: timedelta = FIRST_BACKOFF * (2 ** max(0, min(attempts - 1, 16)))
    return min(doubled, MAX_BACKOFF)


def gives_up(first_attempt: datetime | None, now: datetime, deadline: timedelta) -> bool:
    """True once a failing delivery has been tried for ``deadline`` since its first try."""
    return first_attempt is not None and now - first_attempt >= deadline


def describe(error: TelegramAPIError) -> str:
    return f"{type(error).__name__}: {error.message}"


@dataclass
class SendReport:
    """What a pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    migrated: int = 0
    plain: int = 0
    scopes: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled


class Sender:
    """Drains the outbox; one per bot process (the claim is the only lock between two)."""

    def __init__(
        self,
        *,
        database: Database,
        bot: Bot,
        throttle: Throttle,
        chats: ChatKeeper,
        renderer: Renderer,
        clock: Clock,
        policy: SenderPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        revisions: Revisions | None = None,
        channels: ChannelKeeper | None = None,
        failures: FailureWatch | None = None,
    ) -> None:
        self._db = database
        self._channels = channels
        self._failures = failures
        self._revisions = revisions
        self._bot = bot
        self._throttle = throttle
        self._pacer = throttle.pacer
        self._chats = chats
        self._renderer = renderer
        self._clock = clock
        self.policy = policy or SenderPolicy()
        self._sleep = sleep
        self._room = asyncio.Semaphore(self.policy.concurrency)
        self._pass = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        self._marks: list[tuple[Callable[[sqlite3.Connection], object], asyncio.Future[object]]]
        self._marks = []
        self._flushing = False
        self.totals = SendReport()

    # running -----------------------------------------------------------------------------

    async def recover(self) -> int:
        """At start: deliveries left 'sending' by a crash are pending again (they may be
        doubled: Telegram may have accepted them before the crash)."""
        recovered = await self._db.write(outbox.recover_in_flight)
        if recovered:
            log.warning(
                "%d deliveries were claimed when the bot last stopped; sending them again"
                " (one a chat at most may have reached Telegram already)",
                recovered,
            )
        return recovered

    def stop(self) -> None:
        """Shutting down: a pass running sends what it has started, puts the rest back and
        returns; no pass starts after this."""
        self._stopping = True

    def _stopped(self, stop: asyncio.Event | None) -> bool:
        return self._stopping or (stop is not None and stop.is_set())

    def wake(self) -> None:
        """New deliveries were planned: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Recover, then send what is due until ``stop``; what was claimed and not sent is
        pending again when this returns."""
        await self.recover()
        while not stop.is_set():
            try:
                await self.run_once(stop=stop)
                wait = await self._idle_wait()
            except Exception:  # the sender outlives a bad pass; the rows say what is left
                log.exception("delivery pass failed; trying again")
                wait = self.policy.idle_poll_seconds
            self._wake.clear()
            waiters = {
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._wake.wait()),
            }
            _done, pending = await asyncio.wait(
                waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()

    async def _idle_wait(self) -> float:
        due = await self._db.read(outbox.next_due_at)
        if due is None:
            return self.policy.idle_poll_seconds
        seconds = (due - self._clock()).total_seconds()
        return min(max(seconds, MIN_POLL_SECONDS), self.policy.idle_poll_seconds)

    async def wait_idle(self) -> None:
        """Return once no pass is running."""
        async with self._pass:
            return

    async def run_once(self, *, stop: asyncio.Event | None = None) -> SendReport:
        """Send everything due now (claiming in batches) and record each answer."""
        report = SendReport()
        if self._stopping:
            return report
        due = await self._db.read(outbox.next_due_at)
        if due is None or due > self._clock():
            await self._revise(stop)  # the outbox is idle: edits and retractions only
            return report  # nothing due: no write transaction for an idle tick
        async with self._pass:
            tasks: set[asyncio.Task[None]] = set()
            # The next batch is claimed while the second half of this one goes out, so a
            # claim never holds up the next send (a stall longer than the pacer's slack
            # would cost a slot).
            claiming: asyncio.Task[list[OutboxItem]] | None = asyncio.create_task(self._claim())
            try:
                while claiming is not None and not self._stopped(stop):
                    items = await claiming
                    claiming = None
                    if not items:
                        break
                    for index, item in enumerate(items):
                        if claiming is None and index >= len(items) // 2:
                            claiming = asyncio.create_task(self._claim())
                        if not await self._start(item, report, tasks, stop):
                            await self._put_back(items[index:])
                            break
            finally:
                if claiming is not None:
                    await self._put_back(await claiming)
                if tasks:
                    await asyncio.gather(*tasks, return_exceptions=True)
            await self._revise(stop)  # lowest priority: after what was due has gone out
        self._add_to_totals(report)
        return report

    async def _revise(self, stop: asyncio.Event | None) -> None:
        """Edits and retractions of delivered messages (``delivery_revisions``), if any."""
        if self._revisions is not None and not self._stopped(stop):
            await self._revisions.run_once(lambda: self._stopped(stop))

    async def _claim(self) -> list[OutboxItem]:
        now = self._clock()
        busy: Collection[int] = self._pacer.busy_chats()
        limit = self.policy.batch

        def claim(connection: sqlite3.Connection) -> list[OutboxItem]:
            return outbox.claim_due(connection, now=now, limit=limit, exclude_chats=busy)

        items = await self._db.write(claim)
        items.sort(key=lambda item: send_order(item.priority, item.due_at, item.id))
        return items

    async def _put_back(self, items: list[OutboxItem]) -> None:
        """Claimed and not sent (stopping): pending again, due when they were."""
        if not items:
            return

        def put_back(connection: sqlite3.Connection) -> None:
            for item in items:
                outbox.retry_later(
                    connection, item.id, due_at=item.due_at, error="not sent before a stop"
                )

        await self._db.write(put_back)

    async def _start(
        self,
        item: OutboxItem,
        report: SendReport,
        tasks: set[asyncio.Task[None]],
        stop: asyncio.Event | None,
    ) -> bool:
        """Wait for a global slot, then send the item in a task of its own; False if the
        sender is stopping (the item is not started)."""
        paid = self.policy.paid_broadcast
        while (wait := self._pacer.global_wait(paid=paid)) > 0:
            if self._stopped(stop):
                return False
            await self._sleep(min(wait, STOP_CHECK_SECONDS))
        if self._stopped(stop):
            return False
        held = self._pacer.chat_wait(item.chat_id)
        if held > PACED_HOLD_SECONDS:
            await self._retry(item, report, held, "paced: the chat's limit was reached")
            return True
        await self._room.acquire()
        reserved = None
        if not held and not self._throttle.turn_taken(item.chat_id):
            reserved = self._pacer.reserve(item.chat_id, item.chat_kind, paid=paid)
        task = asyncio.create_task(self._deliver(item, report, reserved))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return True

    # one delivery ------------------------------------------------------------------------

    async def _deliver(self, item: OutboxItem, report: SendReport, reserved: float | None) -> None:
        try:
            async with self._throttle.turn(item.chat_id):
                if reserved is None:
                    reserved = self._pacer.reserve(
                        item.chat_id, item.chat_kind, paid=self.policy.paid_broadcast
                    )
                if reserved > 0:
                    await self._sleep(reserved)
                # A 429 that came while this send waited for its slot holds it too.
                while (paused := self._pacer.paused_for(item.chat_id)) > 0:
                    await self._sleep(paused)
                await self._deliver_now(item, report)
        except Exception:  # a defect: the row goes back, the next pass tries again
            log.exception("delivery %d to chat %d failed unexpectedly", item.id, item.chat_id)
            await self._retry(item, report, backoff(item.attempts).total_seconds(), "defect")
        finally:
            self._room.release()

    async def _deliver_now(self, item: OutboxItem, report: SendReport) -> None:
        outgoing = await self._renderer.render(item)
        if outgoing is None:
            await self._fail(item, report, "the article no longer exists")
            return
        message_id = await self._send_answered(item, outgoing, report)
        if message_id is not None:
            await self._record(
                lambda c: outbox.mark_sent(c, item.id, message_id=message_id, now=self._clock())
            )
            report.sent += 1

    async def _send_answered(
        self, item: OutboxItem, outgoing: Outgoing, report: SendReport
    ) -> int | None:
        """Send; the message's id, or None when the answer was a refusal (recorded)."""
        try:
            return await self._post(item.chat_id, item, outgoing)
        except TelegramRetryAfter as error:
            await self._flood(item, report, item.chat_id, error)
        except TelegramMigrateToChat as error:
            return await self._migrated(item, outgoing, error.migrate_to_chat_id, report)
        except TelegramForbiddenError as error:
            if not await self._target_paused(item, report, error):
                await self._chat_gone(item, report, describe(error))
        except (TelegramBadRequest, TelegramNotFound) as error:
            if await self._target_paused(item, report, error):
                return None
            return await self._refused(item, outgoing, error, report)
        except (TelegramNetworkError, TelegramServerError, RestartingTelegram) as error:
            await self._failed_for_now(item, report, describe(error))
        except TelegramAPIError as error:
            await self._fail(item, report, describe(error))
        return None

    async def _flood(
        self, item: OutboxItem, report: SendReport, chat_id: int, error: TelegramRetryAfter
    ) -> None:
        """429: pause the scope it concerns; the delivery is due again after the wait."""
        scope = self._throttle.note_retry_after(chat_id, item.chat_kind, error.retry_after)
        report.scopes[scope] = report.scopes.get(scope, 0) + 1
        reason = f"flood control ({scope}): {error.message}"
        await self._retry(item, report, error.retry_after, reason)

    async def _post(self, chat_id: int, item: OutboxItem, outgoing: Outgoing) -> int:
        thread_id = item.thread_id or None
        paid = True if self.policy.paid_broadcast else None
        self._pacer.note_started(paid=self.policy.paid_broadcast)
        if outgoing.as_photo:
            assert outgoing.photo_url is not None
            message = await self._bot.send_photo(
                chat_id,
                photo=outgoing.photo_url,
                caption=outgoing.caption_html,
                parse_mode="HTML",
                message_thread_id=thread_id,
                allow_paid_broadcast=paid,
            )
        else:
            message = await self._bot.send_message(
                chat_id,
                outgoing.html,
                parse_mode="HTML",
                message_thread_id=thread_id,
                allow_paid_broadcast=paid,
                link_preview_options=(
                    LinkPreviewOptions(url=outgoing.preview_url) if outgoing.preview_url else None
                ),
            )
        return message.message_id

    async def _post_plain(self, chat_id: int, item: OutboxItem, text_html: str) -> int:
        """The message's text without markup (Telegram could not parse the HTML)."""
        self._pacer.note_started(paid=self.policy.paid_broadcast)
        message = await self._bot.send_message(
            chat_id,
            plain_text(text_html),
            parse_mode=None,
            message_thread_id=item.thread_id or None,
            allow_paid_broadcast=True if self.policy.paid_broadcast else None,
        )
        return message.message_id

    async def _again(
        self,
        item: OutboxItem,
        report: SendReport,
        chat_id: int,
        send: Callable[[], Awaitable[int]],
    ) -> int | None:
        """One more send after a refusal that said how to do better; its own refusal is
        handled as a first one would be, except that it is not retried in place again."""
        await self._throttle.slot(chat_id, item.chat_kind)
        try:
            return await send()
        except TelegramRetryAfter as error:
            await self._flood(item, report, chat_id, error)
        except (TelegramNetworkError, TelegramServerError, RestartingTelegram) as error:
            await self._failed_for_now(item, report, describe(error))
        except TelegramAPIError as error:
            if _is_gone(error):
                await self._chat_gone(item, report, describe(error), chat_id=chat_id)
            else:
                await self._fail(item, report, describe(error))
        return None

    async def _migrated(
        self, item: OutboxItem, outgoing: Outgoing, new_id: int, report: SendReport
    ) -> int | None:
        """The group is a supergroup now: its rules (and this delivery) move to the new id,
        and the message goes there."""
        await self._chats.migrate_chat(item.chat_id, new_id)
        report.migrated += 1
        log.info("chat %d migrated to supergroup %d; delivering there", item.chat_id, new_id)
        moved = replace(item, chat_id=new_id, chat_kind="supergroup")
        return await self._again(
            moved, report, new_id, lambda: self._post(new_id, moved, outgoing)
        )

    async def _refused(
        self, item: OutboxItem, outgoing: Outgoing, error: TelegramAPIError, report: SendReport
    ) -> int | None:
        """A 400: the chat is gone, the markup or the photo was wrong, or the message is."""
        description = error.message.lower()
        if _is_gone(error):
            await self._chat_gone(item, report, describe(error))
            return None
        chat_id = item.chat_id
        if any(words in description for words in _PARSE_DESCRIPTIONS):
            source = (outgoing.caption_html or "") if outgoing.as_photo else outgoing.html
            log.error(
                "delivery %d: Telegram could not parse our HTML (%s); sent as plain text."
                " This is a rendering defect: %r",
                item.id,
                error.message,
                source[:300],
            )
            report.plain += 1
            return await self._again(
                item, report, chat_id, lambda: self._post_plain(chat_id, item, source)
            )
        if outgoing.as_photo and any(words in description for words in _PHOTO_DESCRIPTIONS):
            log.warning("delivery %d: photo refused (%s); sent as text", item.id, error.message)
            text = outgoing.without_photo()
            return await self._again(
                item, report, chat_id, lambda: self._post(chat_id, item, text)
            )
        await self._fail(item, report, describe(error))
        return None

    async def _target_paused(
        self, item: OutboxItem, report: SendReport, error: TelegramAPIError
    ) -> bool:
        """An auto-post target (a linked channel or forum group) that refuses the bot's post
        for a lost right or a removed bot is paused, not made inactive: its admins are told
        and relinking resumes it. False for any other chat or answer."""
        if (
            self._channels is None
            or item.chat_kind not in _TARGET_KINDS
            or not posting_refused(error.message)
        ):
            return False
        reason = describe(error)
        if not await self._channels.pause(item.chat_id, reason):
            return False  # not a linked target (or already paused): the usual answer
        await self._fail(item, report, reason)
        return True

    # recording answers -------------------------------------------------------------------

    async def _chat_gone(
        self, item: OutboxItem, report: SendReport, reason: str, *, chat_id: int | None = None
    ) -> None:
        """403 or «chat not found»: the chat is inactive, its deliveries cancelled."""
        chat_id = item.chat_id if chat_id is None else chat_id
        await self._chats.deactivate(chat_id, reason)
        now = self._clock()

        def cancel(connection: sqlite3.Connection) -> int:
            outbox.mark_failed(connection, item.id, reason=reason, now=now)
            return outbox.cancel_pending_for_chat(connection, chat_id, reason=reason)

        cancelled = await self._record(cancel)
        report.failed += 1
        report.cancelled += cancelled
        log.info(
            "chat %d is gone (%s): %d pending deliveries cancelled", chat_id, reason, cancelled
        )

    async def _failed_for_now(self, item: OutboxItem, report: SendReport, reason: str) -> None:
        """A network error or a 5xx: try again after a back-off, until the deadline."""
        now = self._clock()
        first = await self._db.read(lambda c: sending.first_attempt_at(c, item.id))
        if gives_up(first, now, self.policy.retry_deadline):
            await self._fail(item, report, f"gave up after {item.attempts} attempts: {reason}")
            return
        await self._retry(item, report, backoff(item.attempts).total_seconds(), reason)

    async def _retry(
        self, item: OutboxItem, report: SendReport, seconds: float, reason: str
    ) -> None:
        due = self._clock() + timedelta(seconds=seconds)
        await self._record(lambda c: outbox.retry_later(c, item.id, due_at=due, error=reason))
        report.retried += 1

    async def _fail(self, item: OutboxItem, report: SendReport, reason: str) -> None:
        log.warning("delivery %d to chat %d failed: %s", item.id, item.chat_id, reason)
        await self._record(
            lambda c: outbox.mark_failed(c, item.id, reason=reason, now=self._clock())
        )
        report.failed += 1
        if self._failures is not None:
            await self._failures.failed(item.chat_id, reason)

    async def _record(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Write one answer. Answers arriving together are written in one transaction
        (a group commit); each caller returns once its own is committed."""
        written: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._marks.append((work, written))
        if not self._flushing:
            self._flushing = True
            try:
                while self._marks:
                    await self._write_marks()
            finally:
                self._flushing = False
        return cast(T, await written)

    async def _write_marks(self) -> None:
        batch, self._marks = self._marks, []

        def write_all(connection: sqlite3.Connection) -> list[object]:
            return [work(connection) for work, _written in batch]

        try:
            results = await self._db.write(write_all)
        except asyncio.CancelledError:
            for _work, written in batch:
                written.cancel()
            raise
        except Exception as error:  # noqa: BLE001  (each caller gets the error)
            for _work, written in batch:
                written.set_exception(error)
            return
        for (_work, written), result in zip(batch, results, strict=True):
            written.set_result(result)

    def _add_to_totals(self, report: SendReport) -> None:
        totals = self.totals
        totals.sent += report.sent
        totals.retried += report.retried
        totals.failed += report.failed
        totals.cancelled += report.cancelled
        totals.migrated += report.migrated
        totals.plain += report.plain
        for scope, count in report.scopes.items():
            totals.scopes[scope] = totals.scopes.get(scope, 0) + count


def _is_gone(error: TelegramAPIError) -> bool:
    description = error.message.lower()
    return isinstance(error, TelegramForbiddenError) or any(
        words in description for words in _GONE_DESCRIPTIONS
    )


__all__ = [
    "ChatKeeper",
    "Scope",
    "SendReport",
    "Sender",
    "SenderPolicy",
    "backoff",
    "gives_up",
    "is_private",
]
