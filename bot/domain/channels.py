"""Linked channels: what the bot posts to a Telegram channel (or to a topic of a forum
supergroup linked as one), when, and whether it may."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Rule


class ChannelMode(StrEnum):
    INSTANT = "instant"  # each article as soon as the gap since the last post allows
    BATCHED = "batched"  # what arrived, at set times of day (``slots``)


@dataclass(frozen=True, slots=True)
class Channel:
    """A linked channel (or forum group, ``forum``): its settings, the time zone and rules of
    its subscription."""

    chat_id: int
    title: str
    username: str | None  # without '@'
    mode: ChannelMode
    slots: tuple[str, ...]  # "HH:MM", sorted; empty in instant mode
    min_gap_seconds: int
    thread_id: int  # the forum topic posted to; 0 = none (a channel, or the General topic)
    signature: str | None
    paused: bool
    paused_reason: str | None
    linked_by: int | None
    linked_at: datetime
    last_post_at: datetime | None
    timezone: str | None  # the subscription's; None: Moscow time
    rules: tuple[Rule, ...] = ()
    forum: bool = False  # a forum supergroup linked as an auto-post target, not a channel

    @property
    def handle(self) -> str:
        """«@username», or the chat id for a channel without one."""
        return f"@{self.username}" if self.username else str(self.chat_id)
