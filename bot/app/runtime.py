"""The Telegram side of the composition root: Bot, Dispatcher, scheduler, polling or webhook.

``bot_runtime`` builds everything once (on top of :func:`bot.app.composition.ingest_runtime`) and
closes it in reverse order; ``run_bot`` is what ``python -m bot`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import User
from aiogram.utils.token import TokenValidationError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import event_loop
from bot.app.composition import IngestRuntime, build_language, ingest_runtime
from bot.app.config import Settings
from bot.app.fsm import SqliteStorage
from bot.app.scheduling import IngestJob, Job, PeriodicJob, build_scheduler, stop_jobs
from bot.delivery.channel_job import ChannelSlotJob
from bot.delivery.channels import ChannelService
from bot.delivery.digests import DigestJob
from bot.delivery.pacing import Pacer, PacingLimits
from bot.delivery.rendering import CardRenderer
from bot.delivery.revisions import RevisionPass
from bot.delivery.sender import Sender, SenderPolicy
from bot.delivery.throttle import Throttle, pace_handler_bot
from bot.desk.alerts import AdminAlerts, AdminFailureWatch, AlertingChannels, bot_sender
from bot.desk.broadcasts import PROGRESS_EVERY, BotBoard, BroadcastDesk
from bot.desk.posts import PUBLISH_DUE_EVERY, PostDesk
from bot.desk.roles import Roles
from bot.desk.sources import SourceDesk
from bot.desk.stats import StatsService
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import ConfigError
from bot.readers.catalog import Catalog
from bot.readers.reading import NewsReader
from bot.readers.subscriptions import Choices, SubscriptionService
from bot.tagging.language import Language
from bot.telegram.inflight import InFlightUpdates
from bot.telegram.retry import RetryAfterMiddleware
from bot.telegram.session import JsonAiohttpSession
from handlers import LOCALES_PATH, bot_commands, build_routers, setup_i18n

log = logging.getLogger(__name__)

YOUNG_COLLECTION_THRESHOLD = 20_000

POLLING_TIMEOUT_SECONDS = 25
SHUTDOWN_GRACE_SECONDS = 20.0
WEBHOOK_PATH = "/telegram/webhook"
SENDER_EVERY = timedelta(seconds=1)
"""How often the sender looks for due deliveries (a pass sends everything due)."""
DIGESTS_EVERY = timedelta(seconds=30)
"""How often the digest job looks for due digests (what is due is in the database)."""
CHANNEL_SLOTS_EVERY = timedelta(seconds=30)
"""How often waiting channel posts are kept at their channel's next slot."""


def make_bot(token: str, api_url: str, *, throttle: Throttle | None = None) -> Bot:
    """A Bot talking to ``api_url`` (Telegram's, a local Bot API server, or a test stand);
    a request refused for flood control is resent after the wait Telegram asks for. With a
    ``throttle``, messages also wait for their chat's turn and slot (shared with the sender)."""
    bot = _bot(token, api_url)
    if throttle is None:
        bot.session.middleware(RetryAfterMiddleware())
    else:
        pace_handler_bot(bot, throttle, retry=RetryAfterMiddleware())
    return bot


def make_sender_bot(token: str, api_url: str) -> Bot:
    """The sender's own Bot (its own HTTP session): no middleware, so a 429 comes straight
    back to the sender, which puts the message back and goes on with other chats."""
    return _bot(token, api_url)


def _bot(token: str, api_url: str) -> Bot:
    try:
        return Bot(token, session=JsonAiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    except TokenValidationError:
        raise ConfigError(
            "Setting BOT_TOKEN: expected a token from @BotFather like 123456789:AAE…"
        ) from None


def delivery_pacer(settings: Settings) -> Pacer:
    """One pacer for the process: the handlers' replies and the sender share its limits."""
    return Pacer(
        PacingLimits(
            global_per_second=settings.delivery_rate,
            paid_per_second=settings.delivery_paid_rate,
        ),
        time.monotonic,
    )


async def check_token(bot: Bot, api_url: str) -> User:
    """``getMe``; a rejected token or an unreachable server becomes one clear ConfigError."""
    try:
        return await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConfigError(
            "BOT_TOKEN was rejected by the Bot API (401 Unauthorized): get a valid token from"
            " @BotFather"
        ) from None
    except TelegramNetworkError as error:
        raise ConfigError(f"cannot reach the Bot API at {api_url}: {error.message}") from None
    except ClientDecodeError as error:
        raise ConfigError(
            f"the server at {api_url} did not answer as a Bot API ({_not_bot_api(error)}):"
            " check TELEGRAM_API_URL"
        ) from None


def _not_bot_api(error: ClientDecodeError) -> str:
    """What the answer to ``getMe`` looked like, in a few words."""
    if isinstance(error.data, bytes | str):
        text = error.data.decode(errors="replace") if isinstance(error.data, bytes) else error.data
        start = " ".join(text.split())[:40]
        return f"its answer is not JSON: «{start}…»" if start else "its answer was empty"
    return "its answer is JSON, but not a Bot API response"


@dataclass(frozen=True, slots=True)
class BotRuntime:
    settings: Settings
    bot: Bot
    me: User
    dispatcher: Dispatcher
    ingest: IngestRuntime
    subscriptions: SubscriptionService
    reader: NewsReader
    catalog: Catalog
    channels: ChannelService
    roles: Roles
    source_desk: SourceDesk
    alerts: AdminAlerts
    stats: StatsService
    broadcasts: BroadcastDesk
    posts: PostDesk
    ingest_job: IngestJob
    sender: Sender
    jobs: tuple[Job, ...]
    """Every scheduled job, the ingest job first."""
    scheduler: AsyncIOScheduler
    in_flight: InFlightUpdates

    async def run(self, stop: asyncio.Event) -> None:
        """Serve updates (long polling, or a webhook when WEBHOOK_URL is set) until ``stop``."""
        if self.settings.webhook_url:
            await self._run_webhook(stop)
        else:
            await self._run_polling(stop)

    async def _run_polling(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=POLLING_TIMEOUT_SECONDS,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        )
        stopper = asyncio.create_task(stop.wait())
        done, _pending = await asyncio.wait(
            {polling, stopper}, return_when=asyncio.FIRST_COMPLETED
        )
        if polling in done:
            stopper.cancel()
            await polling  # polling ended on its own: surface its error
            return
        await self.dispatcher.stop_polling()
        await polling

    async def _run_webhook(self, stop: asyncio.Event) -> None:
        secret = self.settings.webhook_secret
        secret_token = secret.get_secret_value() if secret else None
        app = web.Application()
        SimpleRequestHandler(self.dispatcher, self.bot, secret_token=secret_token).register(
            app, path=WEBHOOK_PATH
        )
        setup_application(app, self.dispatcher, bot=self.bot)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()
        try:
            await self.bot.set_webhook(
                url=f"{self.settings.webhook_url}{WEBHOOK_PATH}",
                secret_token=secret_token,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            log.info(
                "webhook server on %s:%d", self.settings.webhook_host, self.settings.webhook_port
            )
            await stop.wait()
        finally:
            await runner.cleanup()


def broadcast_desk(
    ingest: IngestRuntime, language: Language, bot: Bot, settings: Settings, clock: Clock
) -> BroadcastDesk:
    """/broadcast's service: its progress messages are edited through the handlers' bot."""
    return BroadcastDesk(
        ingest.database,
        resolver=language.resolver,
        regions=ingest.reference.regions,
        board=BotBoard(bot),
        rate=settings.delivery_rate,
        clock=clock,
    )


async def set_commands(bot: Bot) -> None:
    for (scope, language_code), commands in bot_commands().items():
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)


def reader_services(
    ingest: IngestRuntime, language: Language, *, clock: Clock
) -> tuple[SubscriptionService, NewsReader, Catalog]:
    """The services the reader handlers call: subscriptions, reading and the catalogue."""
    reference = ingest.reference
    subscriptions = SubscriptionService(
        database=ingest.database,
        choices=Choices(
            region_zones={r.code: r.timezone for r in reference.regions},
            sections={s.slug for s in reference.sections},
            topics={t.slug for t in reference.topics},
        ),
        clock=clock,
    )
    reader = NewsReader(
        database=ingest.database,
        regions=language.resolver,
        lemmatizer=language.lemmatizer,
    )
    catalog = Catalog(
        database=ingest.database,
        regions=reference.regions,
        sections=reference.sections,
        topics=reference.topics,
        clock=clock,
    )
    return subscriptions, reader, catalog


@asynccontextmanager
async def bot_runtime(  # noqa: PLR0915  (the composition root: every part, in order)
    settings: Settings,
    *,
    clock: Clock = system_clock,
    language: Language | None = None,
    start_scheduler: bool = True,
) -> AsyncIterator[BotRuntime]:
    """Build the running bot; on exit stop the scheduler, let work in flight finish, close all."""
    token = settings.require_token()
    throttle = Throttle(delivery_pacer(settings))
    bot = make_bot(token, settings.telegram_api_url, throttle=throttle)
    sender_bot = make_sender_bot(token, settings.telegram_api_url)
    try:
        me = await check_token(bot, settings.telegram_api_url)
        async with ingest_runtime(settings, clock=clock) as ingest:
            reference = ingest.reference
            language = language or build_language(reference)
            subscriptions, reader, catalog = reader_services(ingest, language, clock=clock)
            channels = ChannelService(ingest.database, admin_ids=settings.admin_ids, clock=clock)
            roles = Roles(ingest.database, owner_ids=settings.admin_ids, clock=clock)
            source_desk = SourceDesk(
                database=ingest.database,
                ingestor=ingest.ingestor,
                fetcher=ingest.fetcher,
                drafter=ingest.parser,
                known=reference.known_slugs(),
                region_zones={r.code: r.timezone for r in reference.regions},
                default_interval=settings.default_interval,
                default_timezone=settings.default_timezone,
                clock=clock,
            )
            stats = StatsService(ingest.database, clock=clock)
            posts = PostDesk(
                ingest.database,
                language=language,
                names=catalog,
                default_section=reference.sections[0].slug,
                default_zone=settings.default_timezone,
                clock=clock,
            )
            alerts = AdminAlerts(
                bot_sender(bot),
                chat_id=settings.error_chat_id,
                owner_ids=settings.admin_ids,
                per_minute=settings.alerts_per_minute,
                clock=clock,
            )
            broadcasts = broadcast_desk(ingest, language, bot, settings, clock)
            in_flight = InFlightUpdates()
            dispatcher = Dispatcher(
                storage=SqliteStorage(ingest.database, clock=clock),  # dialogues outlive restarts
                disable_fsm=True,  # its middleware goes in below, inside in_flight
                subscriptions=subscriptions,
                reader=reader,
                catalog=catalog,
                admin_ids=frozenset(settings.admin_ids),
                channels=channels,
                roles=roles,  # the admin filters ask it: owners and editors
                source_desk=source_desk,
                alerts=alerts,
                stats=stats,
                broadcasts=broadcasts,
                posts=posts,
            )
            dispatcher.update.outer_middleware(in_flight)
            # aiogram's FSM reads the state of every update from the database: that read is
            # work in flight too, so shutdown waits for it before closing the database.
            dispatcher.update.outer_middleware(dispatcher.fsm)
            setup_i18n(dispatcher, subscriptions=subscriptions, locales_path=LOCALES_PATH)
            dispatcher.include_routers(*build_routers())
            await set_commands(bot)

            ingest_job = IngestJob(
                ingest.ingestor,
                on_failure=alerts.ingest_stopped,
                on_disabled=alerts.source_disabled,
            )
            sender = Sender(
                database=ingest.database,
                bot=sender_bot,
                throttle=throttle,
                chats=subscriptions,
                # a channel whose posting right is gone is paused (and ERROR_CHAT_ID told)
                channels=AlertingChannels(channels, alerts, error_chat_id=settings.error_chat_id),
                failures=AdminFailureWatch(alerts, clock=clock),
                renderer=CardRenderer(database=ingest.database, names=catalog),
                clock=clock,
                policy=SenderPolicy(
                    concurrency=settings.delivery_concurrency,
                    retry_deadline=timedelta(seconds=settings.delivery_retry_deadline),
                    paid_broadcast=settings.delivery_paid_broadcast,
                ),
                revisions=RevisionPass(
                    database=ingest.database,
                    bot=sender_bot,
                    throttle=throttle,
                    names=catalog,
                    clock=clock,
                ),
            )
            await sender.recover()
            sender_job = PeriodicJob("sender", SENDER_EVERY, sender.run_once)
            digest_job = PeriodicJob(
                "digests", DIGESTS_EVERY, DigestJob(ingest.database, catalog, clock=clock).run_once
            )
            channel_job = PeriodicJob(
                "channel slots",
                CHANNEL_SLOTS_EVERY,
                ChannelSlotJob(ingest.database, clock=clock).run_once,
            )
            posts_job = PeriodicJob("scheduled posts", PUBLISH_DUE_EVERY, posts.publish_due)
            jobs: tuple[Job, ...] = (
                ingest_job,
                sender_job,
                digest_job,
                channel_job,
                PeriodicJob("broadcast progress", PROGRESS_EVERY, broadcasts.refresh_all),
                posts_job,
            )
            scheduler = build_scheduler(jobs, clock=clock)
            if start_scheduler:
                scheduler.start()
            runtime = BotRuntime(
                settings=settings,
                bot=bot,
                me=me,
                dispatcher=dispatcher,
                ingest=ingest,
                subscriptions=subscriptions,
                reader=reader,
                catalog=catalog,
                channels=channels,
                roles=roles,
                source_desk=source_desk,
                alerts=alerts,
                stats=stats,
                broadcasts=broadcasts,
                posts=posts,
                ingest_job=ingest_job,
                sender=sender,
                jobs=jobs,
                scheduler=scheduler,
                in_flight=in_flight,
            )
            try:
                yield runtime
            finally:
                sender.stop()  # the pass running sends what it started, puts the rest back
                await stop_jobs(scheduler, jobs)
                try:
                    async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                        await in_flight.drain()
                except TimeoutError:
                    log.warning("%d updates still running at shutdown", in_flight.running)
    finally:
        await sender_bot.session.close()
        await bot.session.close()


def settle_garbage_collector() -> None:
    """Once start-up is done: keep what it built out of collections, and collect young
    garbage less often.

    Everything built so far lives as long as the process (the tagger's word forms and
    aiogram's models are hundreds of thousands of objects), so full collections need not
    walk it again. An update allocates thousands of short-lived objects (pydantic models,
    dicts), so at Python's default threshold (700) the collector ran ~1,000 times in a bench
    run and promoted them into costlier older-generation passes: 0.76 s in all (measured
    with gc.callbacks). At 20,000: 25 collections, 0.30 s.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 20, 20)


async def run_bot(settings: Settings) -> int:
    """``python -m bot``: run until SIGTERM or Ctrl-C, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with bot_runtime(settings) as runtime:
        settle_garbage_collector()
        log.info(
            "regionews is running as @%s on %s",
            runtime.me.username,
            event_loop.describe(asyncio.get_running_loop()),
        )
        await runtime.run(stop)
    log.info("regionews stopped")
    return 0
