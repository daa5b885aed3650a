"""Edits and retractions of messages already delivered (``delivery_revisions``), performed
by the sender at the lowest priority: :class:`RevisionPass` runs at the end of each sender
pass, once what was due in the outbox has gone out.

============================  ==================================================================
revision                      what is done
============================  ==================================================================
edit                          the card is rendered again from the article as it is now (in the
                              chat's language and zone, with a channel's signature) and the
                              message's caption (a photo) or text is edited; «not modified» is
                              success
retract, sent < 47 h ago      the message is deleted (bots may delete their own for 48 h)
retract, older or refused     the text or caption is edited to «Новость отозвана редакцией»
============================  ==================================================================

A revision of a message not sent yet (waiting for quiet hours or a channel's slot, or being
sent) waits for it, then corrects it if it went out as it was before the change. 429 pauses
the scope as for a send and the revision is due after the wait; a network error or 5xx is
retried with back-off (:data:`MAX_ATTEMPTS` in all); a chat that is gone or any other refusal
fails it with Telegram's words. Each one is leased when claimed
(``storage.posts.claim_revisions``), so a crash retries it; edits and deletions done twice
change nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LinkPreviewOptions
from aiogram.utils.i18n import gettext as _

from bot.delivery.throttle import Sleep, Throttle
from bot.domain.clock import Clock
from bot.telegram.articles import Names
from bot.telegram.cards import render_card
from bot.telegram.formatting import Italic
from bot.telegram.i18n import speaking
from storage import posts as units
from storage.database import Database
from storage.posts import RevisionItem
from storage.sending import article_for_card

log = logging.getLogger(__name__)

DELETE_WITHIN = timedelta(hours=47)
"""Telegram lets a bot delete its messages for 48 h; an hour's margin for clocks and queues."""
WAIT_FOR_SEND = timedelta(seconds=5)
MAX_ATTEMPTS = 8
BATCH = 50

_NOT_MODIFIED = "message is not modified"
_NO_CAPTION = "there is no caption in the message to edit"
_NO_TEXT = "there is no text in the message to edit"
_CANNOT_DELETE = ("message can't be deleted", "message can't be deleted for everyone")
_GONE = ("message to delete not found", "message to edit not found")


def withdrawn_html(language: str) -> str:
    """What a retracted message says once Telegram no longer lets the bot delete it."""
    with speaking(language):
        return Italic(_("The editors have withdrawn this news item.")).as_html()


@dataclass(slots=True)
class RevisionReport:
    edited: int = 0
    deleted: int = 0
    marked: int = 0
    unchanged: int = 0
    retried: int = 0
    failed: int = 0


class RevisionPass:
    """One pass over the due revisions; the sender calls :meth:`run_once` after its own."""

    def __init__(
        self,
        *,
        database: Database,
        bot: Bot,
        throttle: Throttle,
        names: Names,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        batch: int = BATCH,
    ) -> None:
        self._db = database
        self._bot = bot
        self._throttle = throttle
        self._names = names
        self._clock = clock
        self._sleep = sleep
        self._batch = batch
        self.totals = RevisionReport()

    async def run_once(self, stopped: Callable[[], bool] = lambda: False) -> RevisionReport:
        report = RevisionReport()
        now = self._clock()
        due = await self._db.read(units.next_revision_at)
        if due is None or due > now:
            return report  # nothing due: no write transaction for an idle tick
        items = await self._db.write(
            lambda c: units.claim_revisions(c, now=now, limit=self._batch)
        )
        for item in items:
            if stopped():
                break  # the rest stay leased: due again after the lease
            try:
                await self._revise(item, report)
            except Exception:  # a defect: retried after the lease
                log.exception("revision %d of delivery %d failed", item.id, item.delivery_id)
        for name in ("edited", "deleted", "marked", "unchanged", "retried", "failed"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(report, name))
        return report

    async def _revise(self, item: RevisionItem, report: RevisionReport) -> None:
        if item.delivery_state in ("pending", "sending"):  # not sent yet: wait for its answer
            hold = max(WAIT_FOR_SEND, item.delivery_due_at - self._clock())
            await self._retry(item, report, hold, "waiting for the message to be sent")
            return
        if item.delivery_state != "sent" or item.message_id is None:
            await self._finish(item, report, "unchanged")  # never reached the chat
            return
        while (wait := self._throttle.pacer.global_wait()) > 0:
            await self._sleep(wait)
        async with self._throttle.turn(item.chat_id):
            await self._throttle.slot(item.chat_id, item.chat_kind)
            try:
                outcome = await self._perform(item, item.message_id)
            except TelegramRetryAfter as error:
                self._throttle.note_retry_after(item.chat_id, item.chat_kind, error.retry_after)
                await self._retry(
                    item, report, timedelta(seconds=error.retry_after), "flood control"
                )
                return
            except (TelegramNetworkError, TelegramServerError, RestartingTelegram) as error:
                if item.attempts >= MAX_ATTEMPTS:
                    await self._fail(item, report, f"gave up: {error.message}")
                else:
                    backoff = timedelta(seconds=5 * 2 ** min(item.attempts, 7))
                    await self._retry(item, report, backoff, error.message)
                return
            except TelegramAPIError as error:
                await self._fail(item, report, error.message)
                return
        await self._finish(item, report, outcome)

    async def _perform(self, item: RevisionItem, message_id: int) -> str:
        if item.action == "retract":
            sent = item.sent_at
            if sent is not None and self._clock() - sent < DELETE_WITHIN:
                try:
                    await self._bot.delete_message(item.chat_id, message_id)
                except TelegramBadRequest as error:
                    words = error.message.lower()
                    if any(gone in words for gone in _GONE):
                        return "deleted"  # someone deleted it already
                    if not any(refused in words for refused in _CANNOT_DELETE):
                        raise
                else:
                    return "deleted"
            return await self._replace(item, message_id, withdrawn_html(item.language), None)
        article = (
            None
            if item.article_id is None
            else await self._db.read(lambda c: article_for_card(c, item.article_id or 0))
        )
        if article is None:
            return "unchanged"
        card = render_card(
            article,
            self._names,
            language=item.language,
            zone=item.timezone,
            source_name=None,
            signature=item.signature,
        )
        caption = card.caption_html if card.photo_url is not None else None
        return await self._replace(item, message_id, card.html, caption, card.preview_url)

    async def _replace(
        self,
        item: RevisionItem,
        message_id: int,
        text_html: str,
        caption_html: str | None,
        preview_url: str | None = None,
    ) -> str:
        """Edit the caption (a photo) or the text, whichever the message has."""
        first_caption = caption_html is not None
        for as_caption in (first_caption, not first_caption):
            try:
                if as_caption:
                    await self._bot.edit_message_caption(
                        chat_id=item.chat_id,
                        message_id=message_id,
                        caption=caption_html if caption_html is not None else text_html,
                        parse_mode="HTML",
                    )
                else:
                    await self._bot.edit_message_text(
                        text=text_html,
                        chat_id=item.chat_id,
                        message_id=message_id,
                        parse_mode="HTML",
                        link_preview_options=(
                            LinkPreviewOptions(url=preview_url)
                            if preview_url
                            else LinkPreviewOptions(is_disabled=True)
                        ),
                    )
            except TelegramBadRequest as error:
                words = error.message.lower()
                if _NOT_MODIFIED in words:
                    return "unchanged"
                if _NO_CAPTION in words or _NO_TEXT in words:
                    continue  # the other kind of message (a photo refused was sent as text)
                if any(gone in words for gone in _GONE):
                    return "unchanged"  # deleted in the chat meanwhile
                raise
            return "marked" if item.action == "retract" else "edited"
        log.warning("message %d in chat %d has neither text nor caption", message_id, item.chat_id)
        return "unchanged"

    async def _finish(self, item: RevisionItem, report: RevisionReport, outcome: str) -> None:
        now = self._clock()
        await self._db.write(lambda c: units.finish_revision(c, item.id, outcome=outcome, now=now))
        setattr(report, outcome, getattr(report, outcome) + 1)

    async def _retry(
        self, item: RevisionItem, report: RevisionReport, wait: timedelta, reason: str
    ) -> None:
        due = self._clock() + wait
        await self._db.write(lambda c: units.retry_revision(c, item.id, due_at=due, error=reason))
        report.retried += 1

    async def _fail(self, item: RevisionItem, report: RevisionReport, reason: str) -> None:
        log.warning(
            "revision %d (%s) of delivery %d in chat %d failed: %s",
            item.id,
            item.action,
            item.delivery_id,
            item.chat_id,
            reason,
        )
        now = self._clock()
        await self._db.write(lambda c: units.fail_revision(c, item.id, error=reason, now=now))
        report.failed += 1
