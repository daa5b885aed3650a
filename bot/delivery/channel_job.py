"""The channel-slot job: keeps linked channels' waiting posts at their next slot.

A channel's posts are planned with the article (:mod:`bot.delivery.planner`): instant ones
due at once, batched ones at the channel's next slot (``bot.delivery.slots.next_slot``). What
can change after planning is the channel: its mode, slots or gap are edited, it is paused and
linked again, or it posted (the gap since its last post decides whether the next slot is
skipped). Every run, for each unpaused linked channel, this job

* brings ``channel_settings.last_post_at`` up to the last post Telegram accepted (read from
  the outbox, so it needs nothing from the sender), and
* moves the posts still waiting for a later moment to the channel's next slot as its
  settings say now (:func:`storage.outbox.retime_pending_posts`).

Posts whose slot has come are the sender's: they go out one after another at its channel
pace. The gap between two instant posts is kept by ``storage.outbox.claim_due`` itself, so
no post slips through between two runs. What is due comes from the database and the clock
alone: a restart loses nothing, and a run twice in a row changes nothing the second time.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.slots import next_slot
from bot.domain.channels import Channel, ChannelMode
from bot.domain.clock import Clock, system_clock
from storage.channels import list_channels, record_channel_post
from storage.database import Database
from storage.outbox import last_sent_at, max_moment, retime_pending_posts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelRun:
    channels: int  # unpaused linked channels looked at
    retimed: int  # waiting posts moved to their channel's next slot


def next_post_at(channel: Channel, now: datetime, last_post_at: datetime | None) -> datetime:
    """When the channel's next post may go out, by its settings now."""
    return next_slot(
        now,
        channel.timezone,
        channel.slots if channel.mode is ChannelMode.BATCHED else (),
        timedelta(seconds=channel.min_gap_seconds),
        last_post_at,
    )


class ChannelSlotJob:
    """Run by the scheduler (one instance at a time; every 30 s is plenty: slots are minutes
    apart)."""

    def __init__(self, database: Database, *, clock: Clock = system_clock) -> None:
        self._db = database
        self._clock = clock

    async def run_once(self) -> ChannelRun:
        now = self._clock()

        def keep_slots(connection: sqlite3.Connection) -> ChannelRun:
            channels = [c for c in list_channels(connection) if not c.paused]
            retimed = 0
            for channel in channels:
                last = max_moment(channel.last_post_at, last_sent_at(connection, channel.chat_id))
                if last is not None and last != channel.last_post_at:
                    record_channel_post(connection, channel.chat_id, at=last)
                due = next_post_at(channel, now, last)
                retimed += retime_pending_posts(connection, channel.chat_id, due_at=due, now=now)
            return ChannelRun(len(channels), retimed)

        run = await self._db.write(keep_slots)
        if run.retimed:
            log.info("channels: %d waiting posts moved to their next slot", run.retimed)
        return run
