"""The update queue: ``getUpdates`` long polling and webhook delivery, like Telegram.

Updates stay queued until confirmed: by a ``getUpdates`` ``offset`` past them, or by a 2xx
answer from the webhook. ``allowed_updates`` is remembered and filters updates as they are
created (as Telegram documents, it does not affect updates created before it was set).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import bad_request, conflict
from .params import Params, UploadedFile
from .signals import ChangeSignal

ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_ALLOWED = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
FIRST_UPDATE_ID = 500_000_001
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

WebhookReplyExecutor = Callable[[str, Params], Awaitable[None]]
"""Runs the method a webhook answered with (``{"method": "sendMessage", ...}``)."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    allowed_updates: frozenset[str]
    max_connections: int


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST of an update to the webhook."""

    update_id: int
    status: int | None
    error: str | None


class UpdateHub:
    """Queued updates and the two ways a bot receives them."""

    def __init__(self, wall_clock: Callable[[], float], changed: ChangeSignal) -> None:
        self._wall_clock = wall_clock
        self._queue: list[dict[str, Any]] = []
        self._last_id = FIRST_UPDATE_ID - 1
        self._allowed = DEFAULT_ALLOWED
        self._changed = changed
        self._active_poll: object | None = None
        self._superseded: set[object] = set()
        self._delivery_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._last_error: tuple[int, str] | None = None
        self.webhook: WebhookConfig | None = None
        self.deliveries: list[WebhookDelivery] = []
        self.dropped: list[dict[str, Any]] = []
        self.reply_executor: WebhookReplyExecutor | None = None
        self.closed = False

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed, oldest first."""
        return list(self._queue)

    @property
    def polling(self) -> bool:
        """Whether a ``getUpdates`` long poll is waiting right now."""
        return self._active_poll is not None

    @property
    def allowed_updates(self) -> frozenset[str]:
        return self.webhook.allowed_updates if self.webhook else self._allowed

    def publish(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; ``None`` when ``allowed_updates`` filters it out."""
        self._last_id += 1
        update = {"update_id": self._last_id, kind: payload}
        if kind not in self.allowed_updates:
            self.dropped.append(update)
            return None
        self._queue.append(update)
        self._changed.notify()
        return update

    async def get_updates(
        self, *, offset: int | None, limit: int, wait: float, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        if allowed is not None:
            self._allowed = frozenset(allowed) & ALL_UPDATE_TYPES or DEFAULT_ALLOWED
        self._confirm(offset)
        ticket = object()
        if self._active_poll is not None:
            self._superseded.add(self._active_poll)
        self._active_poll = ticket
        self._changed.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait, 0.0)
        try:
            while True:
                if ticket in self._superseded:
                    raise conflict(
                        "terminated by other getUpdates request; make sure that only one bot "
                        "instance is running"
                    )
                remaining = deadline - loop.time()
                if self._queue or self.closed or remaining <= 0:
                    return self._queue[: max(1, min(limit, 100))]
                await self._changed.wait(remaining)
        finally:
            self._superseded.discard(ticket)
            if self._active_poll is ticket:
                self._active_poll = None

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._queue = [update for update in self._queue if update["update_id"] >= offset]
        else:
            self._queue = self._queue[offset:]

    def set_webhook(
        self,
        url: str,
        *,
        secret_token: str | None,
        allowed: list[str] | None,
        max_connections: int | None,
        drop_pending: bool,
    ) -> None:
        if not url:
            self.delete_webhook(drop_pending=drop_pending)
            return
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        if secret_token is not None and not _SECRET_TOKEN.match(secret_token):
            raise bad_request("secret token contains unallowed characters")
        if allowed is None:
            allowed_set = self.allowed_updates
        else:
            allowed_set = frozenset(allowed) & ALL_UPDATE_TYPES or DEFAULT_ALLOWED
        self.webhook = WebhookConfig(url, secret_token, allowed_set, max_connections or 40)
        if drop_pending:
            self._queue.clear()
        if self._active_poll is not None:
            self._superseded.add(self._active_poll)
        self._changed.notify()

    def delete_webhook(self, *, drop_pending: bool) -> None:
        self.webhook = None
        self._last_error = None
        if drop_pending:
            self._queue.clear()

    def webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            info["allowed_updates"] = sorted(self.webhook.allowed_updates)
        if self._last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._last_error
        return info

    async def flush_webhook(self) -> None:
        """POST queued updates to the webhook in order; stop at the first failure.

        A webhook may answer with a method to call (aiogram's ``handle_in_background=False``
        does); the stand runs it after the delivery, as Telegram does.
        """
        replies: list[tuple[str, Params]] = []
        async with self._delivery_lock:
            while self._queue and self.webhook is not None and not self.closed:
                update = self._queue[0]
                status, error, reply = await self._post(self.webhook, update)
                self.deliveries.append(WebhookDelivery(update["update_id"], status, error))
                if error is not None:
                    self._last_error = (int(self._wall_clock()), error)
                    break
                self._queue.remove(update)
                self._changed.notify()
                if reply is not None:
                    replies.append(reply)
        for method, params in replies:
            if self.reply_executor is not None:
                await self.reply_executor(method, params)

    async def _post(
        self, webhook: WebhookConfig, update: dict[str, Any]
    ) -> tuple[int | None, str | None, tuple[str, Params] | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with self._session.post(
                webhook.url, data=json.dumps(update), headers=headers
            ) as response:
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
                    return response.status, error, None
                return response.status, None, await _read_reply(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            return None, f"Connection failed: {type(error).__name__}", None

    async def close(self) -> None:
        self.closed = True
        self._changed.notify()
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _read_reply(response: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    """The method a webhook answered with, as JSON or multipart form data, if any."""
    values: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if response.content_type == "multipart/form-data":
        async for part in aiohttp.MultipartReader.from_response(response):
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                files[part.name] = UploadedFile(part.name, part.filename, await part.read())
            else:
                values[part.name] = await part.text()
    else:
        body = await response.read()
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            values = decoded
    method = values.pop("method", None)
    if not isinstance(method, str):
        return None
    return method, Params(values, files)
