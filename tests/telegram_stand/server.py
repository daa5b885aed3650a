"""The HTTP face of the stand: ``/bot<token>/<method>`` on 127.0.0.1, in Telegram's envelope."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .api_chats import CHAT_METHODS
from .api_messages import MESSAGE_METHODS, Handler
from .core import StandCore
from .errors import ApiError, bad_request, not_found, unauthorized
from .models import ApiCall
from .params import Params, UploadedFile

MAX_REQUEST_BYTES = 60 * 1024 * 1024


class BotApiServer:
    """Serves the Bot API methods the stand knows; everything else is ``404 Not Found``."""

    def __init__(self, core: StandCore) -> None:
        self.core = core
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {**MESSAGE_METHODS, **CHAT_METHODS}.items()
        }
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def method_names(self) -> list[str]:
        return sorted(name for name, _ in self._methods.values())

    async def start(self) -> str:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def execute(self, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        """Run one method and record it; returns the HTTP status and the JSON envelope."""
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        try:
            if entry is None:
                raise not_found()
            result = await entry[1](self.core, params)
        except ApiError as error:
            self._record(name, params, error=error)
            return error.error_code, error.envelope()
        self._record(name, params, result=result)
        return 200, {"ok": True, "result": result}

    async def execute_reply(self, method: str, params: Params) -> None:
        """Run the method a webhook answered with, as Telegram does."""
        await self.execute(method, params)

    def _record(
        self,
        method: str,
        params: Params,
        *,
        result: Any = None,
        error: ApiError | None = None,
        dropped: bool = False,
    ) -> None:
        self.core.state.calls.append(
            ApiCall(
                method=method,
                params=params.as_record(),
                ok=error is None and not dropped,
                result=result,
                error_code=error.error_code if error else None,
                description=error.description if error else None,
                parameters=error.parameters if error else None,
                dropped=dropped,
            )
        )
        self.core.notify()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """A file by getFile's ``file_path``, as ``api.telegram.org/file/bot<token>/…``."""
        if request.match_info["token"] != self.core.token:
            return _answer(401, unauthorized().envelope())
        path = request.match_info["path"]
        for stored in self.core.state.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content)
        return _answer(404, not_found().envelope())

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.core.token:
            return _answer(401, unauthorized().envelope())
        try:
            params = await _read_params(request)
        except ApiError as error:
            return _answer(error.error_code, error.envelope())
        entry = self._methods.get(method.lower())
        fault = self.core.faults.take(entry[0] if entry else method)
        if fault is not None and fault.error is not None:
            self._record(entry[0] if entry else method, params, error=fault.error)
            return _answer(fault.error.error_code, fault.error.envelope())
        if fault is not None:
            self._record(entry[0] if entry else method, params, dropped=True)
            return _hang_up(request)
        status, body = await self.execute(method, params)
        return _answer(status, body)


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def _hang_up(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering: the client sees a dropped connection."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an Object")
            values.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(key, value.filename, value.file.read())
            else:
                values[key] = value
    return Params(values, files)
