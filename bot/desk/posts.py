"""Editors' posts: drafts, publishing (now or at a time), edits and retractions.

A published post is an article like any other (``source_id`` NULL; see :mod:`storage.posts`):
stored, tagged by the editor (regions and topics suggested by the tagger), and planned into
the outbox in the SAME transaction as the article (:class:`bot.delivery.planner.DeliveryPlanner`),
urgent posts at :attr:`Priority.URGENT`. A scheduled post is a row in state 'scheduled' with
its time; :meth:`PostDesk.publish_due` (a scheduler job) publishes those whose time has come,
each in one transaction that also moves it to 'published', so a restart neither loses nor
doubles one. Editing a published post queues an edit of every delivered message
(``delivery_revisions``), retracting queues their deletion; the sender performs them
(:mod:`bot.delivery.revisions`). Every action is written to the audit log in its transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.delivery.planner import DeliveryPlanner
from bot.domain.clock import Clock, system_clock
from bot.domain.models import Article, ArticleDraft
from bot.domain.posts import Post, PostFields, PostLine
from bot.domain.wallclock import zone_of
from bot.ingest.drafting import title_key
from bot.tagging.language import Language
from bot.telegram.articles import MAX_MESSAGE_CHARS, Names
from bot.telegram.cards import MAX_CAPTION_CHARS, Card, render_card
from bot.telegram.post_html import checked_html, clean_html
from storage import posts as units
from storage.audit import record_audit
from storage.database import Database

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 300
SCHEDULE_AHEAD = timedelta(days=366)
"""How far ahead a post may be scheduled."""
PUBLISH_DUE_EVERY = timedelta(seconds=15)
"""How often the scheduler looks for scheduled posts whose time has come."""


class PostError(Exception):
    """What an editor asked cannot be done; the subclass says why."""


class PostNotFound(PostError):
    pass


class WrongState(PostError):
    """The post is not in a state that allows this (say, published already)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class TooLong(PostError):
    """The card does not fit: ``limit`` characters (1024 for a photo's caption, else 4096),
    ``length`` as it stands."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length, limit)
        self.length = length
        self.limit = limit


class BadTime(PostError):
    """A schedule time that cannot be read, or lies in the past or too far ahead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# when: pure ---------------------------------------------------------------------------------

_WHEN = re.compile(
    r"^\s*(?:(?P<word>сегодня|завтра|послезавтра|today|tomorrow)"
    r"|(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{2}|\d{4}))?)?"
    r"\s*(?:в\s+|at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*$",
    re.IGNORECASE,
)
_OFFSETS = {"сегодня": 0, "today": 0, "завтра": 1, "tomorrow": 1, "послезавтра": 2}


def parse_when(text: str, *, now: datetime, zone: str | None) -> datetime:
    """The moment (UTC) an editor typed, on the clock of ``zone``:

    * ``05.12 09:30`` (this year, or next year's if that day has passed), ``05.12.2026 09:30``;
    * ``завтра 9:00``, ``сегодня 18:45``, ``послезавтра 7:00``, ``tomorrow 9:00``;
    * ``9:30`` alone: the next 9:30 (today or tomorrow).

    Raises :class:`BadTime` for anything else, a moment not after ``now`` or more than a year
    ahead."""
    found = _WHEN.match(text.strip().lower().replace("ё", "е"))
    if found is None:
        raise BadTime("format")
    tz = zone_of(zone)
    local_now = now.astimezone(tz)
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:  # noqa: PLR2004
        raise BadTime("format")
    at = time(hour, minute)
    if found["word"]:
        day = local_now.date() + timedelta(days=_OFFSETS[found["word"]])
    elif found["day"]:
        year = int(found["year"]) if found["year"] else local_now.year
        year = year + 2000 if year < 100 else year  # noqa: PLR2004
        try:
            day = date(year, int(found["month"]), int(found["day"]))
        except ValueError:
            raise BadTime("format") from None
        if not found["year"] and day < local_now.date():
            try:
                day = day.replace(year=year + 1)
            except ValueError:
                raise BadTime("format") from None
    else:
        day = local_now.date()
        if datetime.combine(day, at, tzinfo=tz) <= local_now:
            day += timedelta(days=1)
    moment = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    if moment <= now:
        raise BadTime("past")
    if moment - now > SCHEDULE_AHEAD:
        raise BadTime("far")
    return moment


def local_when(moment: datetime, zone: str | None) -> str:
    """«05.12.2026 09:30» on the clock of ``zone``."""
    local = moment.astimezone(zone_of(zone))
    return local.strftime("%d.%m.%Y %H:%M")


# the service --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    post_id: int
    article_id: int
    planned: int


def _snapshot(post: Post | None) -> dict[str, object] | None:
    if post is None:
        return None
    return {
        "state": post.state,
        **asdict(post.fields),
        "publish_at": post.publish_at,
        "article_id": post.article_id,
    }


def _subject(post_id: int) -> str:
    return f"post:{post_id}"


def _audit(
    conn: sqlite3.Connection,
    action: str,
    *,
    actor_id: int,
    post_id: int,
    before: Post | None,
    after: object,
    now: datetime,
) -> None:
    """The audit entry of a change to the post, inside the write that makes it: ``before`` is
    the post as it was, ``after`` what it became (a snapshot, or the figures that tell)."""
    record_audit(
        conn,
        actor_id=actor_id,
        action=action,
        subject=_subject(post_id),
        before=_snapshot(before),
        after=after,
        now=now,
    )


def _existing(conn: sqlite3.Connection, post_id: int) -> Post:
    post = units.get_post(conn, post_id)
    if post is None:
        raise PostNotFound(post_id)
    return post


def _published(conn: sqlite3.Connection, post_id: int) -> tuple[Post, int]:
    """The published post and its article; else PostNotFound or WrongState."""
    post = _existing(conn, post_id)
    if post.state != units.PUBLISHED or post.article_id is None:
        raise WrongState(post.state)
    return post, post.article_id


class PostDesk:
    """The posting service; one per process, built by the composition root (no state beyond
    its collaborators: every post lives in the database)."""

    def __init__(
        self,
        database: Database,
        *,
        language: Language,
        names: Names,
        default_section: str,
        default_zone: str,
        planner: DeliveryPlanner | None = None,
        clock: Clock = system_clock,
        on_planned: Callable[[], None] | None = None,
    ) -> None:
        self._db = database
        self._language = language
        self._names = names
        self._default_section = default_section
        self._default_zone = default_zone
        self._planner = planner or DeliveryPlanner()
        self._clock = clock
        self._on_planned = on_planned

    @property
    def names(self) -> Names:
        return self._names

    def now(self) -> datetime:
        return self._clock()

    # drafting ------------------------------------------------------------------------------

    def suggest(self, title: str, body_html: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(regions, topics) the tagger finds in the title and text."""
        tags = self._language.tagger.tag(f"{title}\n{checked_html(body_html).plain()}")
        return tags.regions, tags.topics

    def normalised(self, fields: PostFields) -> PostFields:
        """The fields as stored: the text's HTML re-checked, the title trimmed, a section."""
        return replace(
            fields,
            title=fields.title.strip()[:MAX_TITLE_CHARS],
            body_html=clean_html(fields.body_html),
            section=fields.section or self._default_section,
        )

    def preview(self, fields: PostFields, *, language: str, zone: str | None) -> Card:
        """Exactly the card subscribers get (:func:`bot.telegram.cards.render_card`).

        Raises :class:`TooLong` when it does not fit (a photo's caption, or a message)."""
        fields = self.normalised(fields)
        card = render_card(
            self._article(fields, 0, self._clock()),
            self._names,
            language=language,
            zone=zone,
            source_name=None,
            signature=None,
        )
        if fields.photo_file_id is not None and card.caption_html is None:
            raise TooLong(checked_html(card.html).length(), MAX_CAPTION_CHARS)
        length = checked_html(card.html).length()
        if length > MAX_MESSAGE_CHARS:
            raise TooLong(length, MAX_MESSAGE_CHARS)
        return card

    async def zone_of(self, user_id: int) -> str:
        """The editor's time zone: their private chat's, else the bot's default."""
        return await self._db.read(lambda c: units.author_zone(c, user_id)) or self._default_zone

    async def save_draft(self, actor_id: int, post_id: int | None, fields: PostFields) -> int:
        """Store the draft (new, or the same draft again); audited as ``post.draft``."""
        fields = self.normalised(fields)
        now = self._clock()

        def work(conn: sqlite3.Connection) -> int:
            before = None if post_id is None else units.get_post(conn, post_id)
            saved = units.save_draft(conn, post_id, fields, author_id=actor_id, now=now)
            after = units.get_post(conn, saved)
            if after is not None and after.state != units.DRAFT:
                raise WrongState(after.state)
            _audit(
                conn,
                "post.draft",
                actor_id=actor_id,
                post_id=saved,
                before=before,
                after=_snapshot(after),
                now=now,
            )
            return saved

        return await self._db.write(work)

    async def get(self, post_id: int) -> Post | None:
        return await self._db.read(lambda c: units.get_post(c, post_id))

    async def posts(self, *, recent: int = 10) -> list[PostLine]:
        """Drafts, scheduled posts and the ``recent`` latest published, with their counts."""
        return await self._db.read(lambda c: units.list_posts(c, recent=recent))

    # publishing ----------------------------------------------------------------------------

    def _article(self, fields: PostFields, post_id: int, now: datetime) -> Article:
        draft = self._draft(fields, post_id, now)
        return Article(
            id=0,
            source_id=None,
            story_id=0,
            identity_key=draft.identity_key,
            title=draft.title,
            url=None,
            teaser=draft.teaser,
            text=draft.text,
            image_url=draft.image_url,
            published_at=now,
            fetched_at=now,
            section=draft.section,
            regions=draft.regions,
            topics=draft.topics,
        )

    def _draft(self, fields: PostFields, post_id: int, now: datetime) -> ArticleDraft:
        plain = checked_html(fields.body_html).plain()
        digest = hashlib.sha256(
            "\x1f".join((fields.title, fields.body_html, fields.photo_file_id or "")).encode()
        ).hexdigest()
        return ArticleDraft(
            identity_key=f"post:{post_id}",
            guid=None,
            url=None,
            title=fields.title,
            title_key=title_key(fields.title),
            teaser=plain,
            text=fields.body_html,
            image_url=fields.photo_file_id,
            published_at=now,
            fetched_at=now,
            section=fields.section or self._default_section,
            regions=fields.regions,
            topics=fields.topics,
            content_hash=digest,
            search_terms=" ".join(self._language.lemmatizer.lemmas(f"{fields.title} {plain}")),
        )

    def _publish_unit(
        self, conn: sqlite3.Connection, post_id: int, actor_id: int, now: datetime
    ) -> Published:
        post = _existing(conn, post_id)
        if post.state not in (units.DRAFT, units.SCHEDULED):
            raise WrongState(post.state)
        article_id = units.store_article(
            conn, post, self._draft(post.fields, post.id, now), now=now
        )
        planned = self._planner.plan(conn, [article_id], now=now)
        if post.fields.urgent:
            units.make_urgent(conn, article_id)
        _audit(
            conn,
            "post.publish",
            actor_id=actor_id,
            post_id=post.id,
            before=post,
            after=_snapshot(units.get_post(conn, post.id)),
            now=now,
        )
        return Published(post.id, article_id, planned)

    async def publish(self, actor_id: int, post_id: int) -> Published:
        """Publish a draft (or a scheduled post) now: article, outbox rows, audit, one write."""
        now = self._clock()
        done = await self._db.write(lambda c: self._publish_unit(c, post_id, actor_id, now))
        log.info("post %d published by %d: %d deliveries", post_id, actor_id, done.planned)
        self._wake()
        return done

    async def schedule(self, actor_id: int, post_id: int, at: datetime) -> Post:
        """The draft goes out at ``at`` (UTC; see :func:`parse_when`)."""
        now = self._clock()
        if at <= now:
            raise BadTime("past")

        def work(conn: sqlite3.Connection) -> Post:
            before = _existing(conn, post_id)
            if not units.schedule(conn, post_id, at=at, now=now):
                raise WrongState(before.state)
            after = units.get_post(conn, post_id)
            assert after is not None
            _audit(
                conn,
                "post.schedule",
                actor_id=actor_id,
                post_id=post_id,
                before=before,
                after=_snapshot(after),
                now=now,
            )
            return after

        return await self._db.write(work)

    async def cancel(self, actor_id: int, post_id: int) -> None:
        """A draft or a scheduled post is dropped (kept as 'cancelled' for the record)."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> None:
            before = _existing(conn, post_id)
            expect = (units.DRAFT, units.SCHEDULED)
            if not units.set_state(conn, post_id, units.CANCELLED, now=now, expect=expect):
                raise WrongState(before.state)
            _audit(
                conn,
                "post.cancel",
                actor_id=actor_id,
                post_id=post_id,
                before=before,
                after=_snapshot(units.get_post(conn, post_id)),
                now=now,
            )

        await self._db.write(work)

    async def publish_due(self) -> int:
        """The scheduler job: publish every scheduled post whose time has come, each in its
        own transaction (audited as done by the bot, actor 0). Returns how many."""
        now = self._clock()
        due = await self._db.read(lambda c: units.due_scheduled(c, now=now))
        published = 0
        for post_id in due:
            try:
                await self._db.write(lambda c, p=post_id: self._publish_unit(c, p, 0, now))  # type: ignore[misc]
            except WrongState:  # published or cancelled meanwhile
                continue
            published += 1
            log.info("scheduled post %d published", post_id)
        if published:
            self._wake()
        return published

    # after publishing ----------------------------------------------------------------------

    async def edit(self, actor_id: int, post_id: int, fields: PostFields) -> int:
        """New title, text or photo for a published post: its article changes and every
        message delivered is edited (queued for the sender). Returns the messages queued.

        Regions, section and topics stay as published (they chose who got it)."""
        now = self._clock()
        fields = self.normalised(fields)

        def work(conn: sqlite3.Connection) -> int:
            before, article_id = _published(conn, post_id)
            kept = replace(
                fields,
                regions=before.fields.regions,
                section=before.fields.section,
                topics=before.fields.topics,
                urgent=before.fields.urgent,
            )
            draft = self._draft(kept, post_id, before.published_at or now)
            units.update_published(conn, post_id, kept, draft, now=now)
            queued = units.enqueue_revisions(conn, post_id, article_id, "edit", now=now)
            _audit(
                conn,
                "post.edit",
                actor_id=actor_id,
                post_id=post_id,
                before=before,
                after={**(_snapshot(units.get_post(conn, post_id)) or {}), "messages": queued},
                now=now,
            )
            return queued

        queued = await self._db.write(work)
        self._wake()
        return queued

    async def retract(self, actor_id: int, post_id: int) -> int:
        """Withdraw a published post: deliveries not yet sent are cancelled, every message
        sent is deleted (or marked withdrawn, past Telegram's 48 h), the article removed.
        Returns the messages queued."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> int:
            before, article_id = _published(conn, post_id)
            cancelled = units.cancel_pending(conn, article_id, reason="retracted by the editors")
            queued = units.enqueue_revisions(conn, post_id, article_id, "retract", now=now)
            units.mark_retracted(conn, post_id, now=now)
            _audit(
                conn,
                "post.retract",
                actor_id=actor_id,
                post_id=post_id,
                before=before,
                after={"state": units.RETRACTED, "messages": queued, "cancelled": cancelled},
                now=now,
            )
            return queued

        queued = await self._db.write(work)
        self._wake()
        return queued

    async def revisions(self, post_id: int) -> dict[str, int]:
        """How the edits and retractions of the post's messages stand (see
        :func:`storage.posts.revision_counts`)."""
        return await self._db.read(lambda c: units.revision_counts(c, post_id))

    def _wake(self) -> None:
        if self._on_planned is not None:
            self._on_planned()
