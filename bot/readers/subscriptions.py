"""The subscription service: what a chat (or forum topic) receives, and how.

Every change is validated against the reference data first, so wrong or tampered input
raises :class:`ChoiceError` and leaves the database as it was.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.clock import Clock
from bot.domain.errors import RegionewsError
from bot.domain.models import Chat, ChatKind, DeliveryMode, Rule, RulePart, Subscription
from bot.readers.cache import BoundedCache
from storage.chats import ChatRepository
from storage.database import Database
from storage.subscriptions import SubscriptionRepository

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SUPPORTED_LANGUAGES = ("ru", "en")
MAX_RULES = 20
CHAT_CACHE_SIZE = 10_000
SUBSCRIPTION_CACHE_SIZE = 10_000


class ChoiceError(RegionewsError):
    """A choice that does not exist or does not apply (a tampered or stale button, a typo)."""


class NotSubscribed(RegionewsError):
    """The chat has no subscription to change."""


@dataclass(frozen=True, slots=True)
class Choices:
    """What a rule may name: region codes → time zones, section and topic slugs."""

    region_zones: Mapping[str, str]
    sections: Collection[str]
    topics: Collection[str]

    def check(self, part: RulePart, value: str) -> None:
        known: Collection[str] = {
            "regions": self.region_zones.keys(),
            "sections": self.sections,
            "topics": self.topics,
        }[part]
        if value not in known:
            raise ChoiceError(f"unknown {part[:-1]} «{value}»")


def user_language(language_code: str | None) -> str:
    """The interface language for a Telegram ``language_code``: Russian unless English."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return "ru"


def _first_language(kind: ChatKind, language_code: str | None) -> str | None:
    """A private chat starts in its user's language; a group's is chosen with /lang."""
    return user_language(language_code) if kind is ChatKind.PRIVATE else None


def check_time(value: str) -> str:
    if not _HHMM.match(value):
        raise ChoiceError(f"«{value}» is not a time of day as HH:MM")
    return value


class SubscriptionService:
    def __init__(self, *, database: Database, choices: Choices, clock: Clock) -> None:
        self._chats = ChatRepository(database)
        self._known_chats: BoundedCache[int, Chat] = BoundedCache(CHAT_CACHE_SIZE)
        # Chats read and not found: a new reader's first update asks for its chat's language
        # before anything registers it. Only registering or migrating creates a chat row.
        self._unknown_chats: BoundedCache[int, bool] = BoundedCache(CHAT_CACHE_SIZE)
        self._subscriptions = SubscriptionRepository(database)
        self._known_subscriptions: BoundedCache[tuple[int, int], Subscription] = BoundedCache(
            SUBSCRIPTION_CACHE_SIZE
        )
        self._choices = choices
        self._clock = clock
        self._adding_rule = asyncio.Lock()  # ➕'s check and insert, as one step

    # chats -------------------------------------------------------------------------------

    async def register_chat(
        self, chat_id: int, *, kind: ChatKind, title: str, language_code: str | None
    ) -> Chat:
        """Remember the chat (active again); a chat the cache knows as it is costs nothing.

        On a cache miss the chat is written at once (an upsert that keeps its language)
        rather than read first: a write is one hop, as a read would be.
        """
        known = self._known_as(chat_id, kind, title)
        if known is not None:
            return known
        chat = await self._chats.register(
            chat_id,
            kind=kind,
            title=title,
            language=_first_language(kind, language_code),
            now=self._clock(),
        )
        self._chat_stored(chat)
        return chat

    async def register_and_ensure(
        self,
        chat_id: int,
        thread_id: int,
        *,
        kind: ChatKind,
        title: str,
        language_code: str | None,
    ) -> Subscription:
        """:meth:`register_chat` and :meth:`ensure` together: nothing to do when both are
        cached as they are, else one unit of work for both."""
        if self._known_as(chat_id, kind, title) is not None:
            return await self.ensure(chat_id, thread_id)
        chat, subscription = await self._subscriptions.ensure_for_chat(
            chat_id,
            thread_id,
            kind=kind,
            title=title,
            language=_first_language(kind, language_code),
            now=self._clock(),
        )
        self._chat_stored(chat)
        return self._remember(subscription)

    def _known_as(self, chat_id: int, kind: ChatKind, title: str) -> Chat | None:
        """The cached chat if it is active with this kind and title (nothing to write)."""
        known = self._known_chats.get(chat_id)
        if known is not None and known.active and (known.kind, known.title) == (kind, title):
            return known
        return None

    def _chat_stored(self, chat: Chat) -> None:
        self._known_chats.put(chat.id, chat)
        self._unknown_chats.forget(chat.id)

    async def chat(self, chat_id: int) -> Chat | None:
        """The chat as stored. Read through a cache that every chat write here keeps true
        (one bot process owns its database)."""
        cached = self._known_chats.get(chat_id)
        if cached is not None or self._unknown_chats.get(chat_id):
            return cached
        chat = await self._chats.get(chat_id)
        if chat is None:
            self._unknown_chats.put(chat_id, True)
        else:
            self._chat_stored(chat)
        return chat

    async def set_language(self, chat_id: int, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise ChoiceError(f"unsupported language «{language}»")
        await self._chats.set_language(chat_id, language, now=self._clock())
        self._known_chats.forget(chat_id)

    async def deactivate(self, chat_id: int, reason: str) -> bool:
        changed = await self._chats.set_active(
            chat_id, active=False, reason=reason, now=self._clock()
        )
        self._known_chats.forget(chat_id)
        return changed

    async def reactivate(self, chat_id: int) -> bool:
        changed = await self._chats.set_active(
            chat_id, active=True, reason=None, now=self._clock()
        )
        self._known_chats.forget(chat_id)
        return changed

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        moved = await self._chats.migrate(old_id, new_id, now=self._clock())
        for chat_id in (old_id, new_id):
            self._known_chats.forget(chat_id)
            self._unknown_chats.forget(chat_id)
        self._known_subscriptions.clear()  # rare: every topic of both chats moved or merged
        return moved

    # subscriptions -------------------------------------------------------------------------

    # Subscriptions are read through a cache as chats are: every change below goes through
    # this service and stores what the database holds after it (one bot process owns its
    # database). Database work finishes in the order it was queued, so the newest state is
    # stored last.

    async def get(self, chat_id: int, thread_id: int = 0) -> Subscription | None:
        cached = self._known_subscriptions.get((chat_id, thread_id))
        if cached is not None:
            return cached
        subscription = await self._subscriptions.get(chat_id, thread_id)
        return None if subscription is None else self._remember(subscription)

    async def ensure(self, chat_id: int, thread_id: int = 0) -> Subscription:
        cached = self._known_subscriptions.get((chat_id, thread_id))
        if cached is not None:
            return cached
        return self._remember(
            await self._subscriptions.ensure(chat_id, thread_id, now=self._clock())
        )

    def _remember(self, subscription: Subscription) -> Subscription:
        self._known_subscriptions.put((subscription.chat_id, subscription.thread_id), subscription)
        return subscription

    async def _require(self, chat_id: int, thread_id: int) -> Subscription:
        """The subscription as the database holds it now (after a change)."""
        subscription = await self._subscriptions.get(chat_id, thread_id)
        if subscription is None:
            self._known_subscriptions.forget((chat_id, thread_id))
            raise NotSubscribed("this chat has no subscription yet; send /start")
        return self._remember(subscription)

    async def toggle(
        self, chat_id: int, thread_id: int, part: RulePart, value: str, *, selected: bool
    ) -> Subscription:
        """Select or unselect one region, section or topic of the rule being edited.

        Idempotent: pressing the same button twice leaves the same state. The first region
        chosen sets the subscription's time zone when none was chosen.
        """
        self._choices.check(part, value)
        first_region = part == "regions" and selected
        changed = await self._subscriptions.change_current_rule(
            chat_id,
            thread_id,
            part,
            value=value,
            selected=selected,
            zone_if_unset=self._choices.region_zones[value] if first_region else None,
            now=self._clock(),
        )
        return self._remember(changed)

    async def clear(self, chat_id: int, thread_id: int, part: RulePart) -> Subscription:
        """Make one part of the rule being edited "any"."""
        changed = await self._subscriptions.change_current_rule(
            chat_id,
            thread_id,
            part,
            value=None,
            selected=False,
            zone_if_unset=None,
            now=self._clock(),
        )
        return self._remember(changed)

    async def add_rule(
        self,
        chat_id: int,
        thread_id: int,
        *,
        regions: tuple[str, ...] = (),
        sections: tuple[str, ...] = (),
        topics: tuple[str, ...] = (),
    ) -> Subscription:
        """Add a rule (unless an identical one exists); it becomes the one being edited."""
        parts: tuple[tuple[RulePart, tuple[str, ...]], ...] = (
            ("regions", regions),
            ("sections", sections),
            ("topics", topics),
        )
        for part, values in parts:
            for value in values:
                self._choices.check(part, value)
        async with self._adding_rule:  # two identical deep links handled at once add one rule
            return await self._add_rule(chat_id, thread_id, regions, sections, topics)

    async def _add_rule(
        self,
        chat_id: int,
        thread_id: int,
        regions: tuple[str, ...],
        sections: tuple[str, ...],
        topics: tuple[str, ...],
    ) -> Subscription:
        subscription = await self.ensure(chat_id, thread_id)
        wanted = Rule(0, tuple(sorted(regions)), tuple(sorted(sections)), tuple(sorted(topics)))
        current = subscription.current_rule
        if current is not None and current.is_any and len(subscription.rules) == 1:
            # The empty rule made at /start is filled rather than kept beside the new one.
            await self._subscriptions.delete_rule(subscription.id, current.id, now=self._clock())
            subscription = await self._require(chat_id, thread_id)
        for rule in subscription.rules:
            if rule.same_choice(wanted):
                await self._subscriptions.set_current_rule(subscription.id, rule.id)
                return await self._require(chat_id, thread_id)
        if len(subscription.rules) >= MAX_RULES:
            raise ChoiceError(f"a chat may have at most {MAX_RULES} rules")
        await self._subscriptions.add_rule(
            subscription.id, regions=regions, sections=sections, topics=topics, now=self._clock()
        )
        if regions and subscription.timezone is None:
            await self._subscriptions.update_settings(
                subscription.id, now=self._clock(), timezone=self._choices.region_zones[regions[0]]
            )
        return await self._require(chat_id, thread_id)

    async def subscribe_deep_link(
        self, chat_id: int, thread_id: int, payload: str
    ) -> Subscription:
        """``region-RU-IRK``, ``section-practice`` or ``topic-agro`` from a t.me/…?start= link."""
        kind, _, value = payload.partition("-")
        if kind == "region":
            return await self.add_rule(chat_id, thread_id, regions=(value.upper(),))
        if kind == "section":
            return await self.add_rule(chat_id, thread_id, sections=(value,))
        if kind == "topic":
            return await self.add_rule(chat_id, thread_id, topics=(value,))
        raise ChoiceError(f"unknown start link «{payload}»")

    async def new_rule(
        self, chat_id: int, thread_id: int, *, shown: int | None = None
    ) -> Subscription:
        """Add an empty rule, which becomes the one being edited.

        ``shown`` is how many rules the reader saw when asking: if the chat has another
        number by now, the request was a repeat (a double tap) and :class:`ChoiceError` is
        raised. The check and the insert hold one lock, so two taps handled at once add one.
        """
        async with self._adding_rule:
            subscription = await self.ensure(chat_id, thread_id)
            if shown is not None and len(subscription.rules) != shown:
                raise ChoiceError("this rule was already added")
            if len(subscription.rules) >= MAX_RULES:
                raise ChoiceError(f"a chat may have at most {MAX_RULES} rules")
            await self._subscriptions.add_rule(subscription.id, now=self._clock())
            return await self._require(chat_id, thread_id)

    async def remove_rule(self, chat_id: int, thread_id: int, rule_id: int) -> Subscription:
        subscription = await self._require(chat_id, thread_id)
        if not await self._subscriptions.delete_rule(subscription.id, rule_id, now=self._clock()):
            raise ChoiceError("this rule no longer exists")
        return await self._require(chat_id, thread_id)

    async def edit_rule(self, chat_id: int, thread_id: int, rule_id: int) -> Subscription:
        subscription = await self._require(chat_id, thread_id)
        if not await self._subscriptions.set_current_rule(subscription.id, rule_id):
            raise ChoiceError("this rule no longer exists")
        return await self._require(chat_id, thread_id)

    # settings ------------------------------------------------------------------------------

    async def _update(
        self, chat_id: int, thread_id: int, **settings: str | int | None
    ) -> Subscription:
        subscription = await self.ensure(chat_id, thread_id)
        await self._subscriptions.update_settings(subscription.id, now=self._clock(), **settings)
        return await self._require(chat_id, thread_id)

    async def set_mode(self, chat_id: int, thread_id: int, mode: str) -> Subscription:
        try:
            chosen = DeliveryMode(mode)
        except ValueError:
            raise ChoiceError(f"unknown delivery mode «{mode}»") from None
        return await self._update(chat_id, thread_id, mode=chosen.value)

    async def set_digest_time(self, chat_id: int, thread_id: int, value: str) -> Subscription:
        return await self._update(chat_id, thread_id, digest_time=check_time(value))

    async def set_digest_weekday(self, chat_id: int, thread_id: int, weekday: int) -> Subscription:
        if not 0 <= weekday <= 6:
            raise ChoiceError("a weekday is 0 (Monday) to 6 (Sunday)")
        return await self._update(chat_id, thread_id, digest_weekday=weekday)

    async def set_timezone(self, chat_id: int, thread_id: int, zone: str) -> Subscription:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ChoiceError(f"unknown time zone «{zone}»") from None
        return await self._update(chat_id, thread_id, timezone=zone)

    async def set_quiet_hours(
        self, chat_id: int, thread_id: int, start: str | None, end: str | None
    ) -> Subscription:
        if (start is None) != (end is None):
            raise ChoiceError("quiet hours need both a start and an end")
        if start is not None and end is not None:
            check_time(start)
            check_time(end)
        return await self._update(chat_id, thread_id, quiet_start=start, quiet_end=end)

    async def set_paused(self, chat_id: int, thread_id: int, *, paused: bool) -> Subscription:
        return await self._update(chat_id, thread_id, paused=int(paused))

    async def stop(self, chat_id: int, thread_id: int) -> bool:
        """Unsubscribe from everything. False if there was nothing to stop."""
        # Forgotten before the delete, so a read while it runs is queued behind it and finds
        # nothing; and after, in case a read queued earlier cached the old row meanwhile.
        self._known_subscriptions.forget((chat_id, thread_id))
        stopped = await self._subscriptions.delete(chat_id, thread_id)
        self._known_subscriptions.forget((chat_id, thread_id))
        return stopped
