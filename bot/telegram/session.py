"""An aiohttp Bot API session that sends JSON bodies and spends little CPU per call.

aiogram's ``AiohttpSession`` sends every request as ``application/x-www-form-urlencoded``,
quoting the JSON of entities and keyboards character by character with ``quote_plus``: on
this bot's keyboard-heavy replies that was the costliest part of a request. Telegram accepts
``application/json`` for every method, so requests without files are sent as JSON; a request
that uploads a file still goes as multipart form data.

JSON is written and read with orjson: the standard library's ``json.dumps`` escapes every
Cyrillic letter as ``\\uXXXX`` (44 µs for a 4,000-character page, three times the bytes;
orjson 2.5 µs, UTF-8), and ``json.loads`` of a hundred updates took 2.0 ms (orjson 1.3 ms).

Two more costs of aiogram's per-call path are cut here, with the same results:

* The JSON body is built by walking the method's fields directly (:meth:`json_payload`)
  instead of ``model_dump()`` followed by aiogram's ``prepare_value`` over the dump. What
  each model class needs (its fields' keys, which fields have a custom serializer) is
  worked out once per class.
* ``Response[method.__returning__]`` is built once per result type and kept by the session
  (:meth:`check_response`): pydantic caches parametrised generic models only weakly, so
  aiogram's ``check_response`` kept rebuilding them after garbage collection.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout
from pydantic import BaseModel, PlainSerializer, ValidationError, WrapSerializer

_JSON_HEADERS = {"Content-Type": "application/json"}


def _json_text(value: Any) -> str:
    """JSON as text, for the few places aiogram embeds JSON in a form (multipart uploads)."""
    return orjson.dumps(value).decode()


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_EMPTY_VALUES: tuple[object, ...] = ("", [], {})

_STATUS_ERRORS: dict[int, type[TelegramAPIError]] = {
    HTTPStatus.BAD_REQUEST: TelegramBadRequest,
    HTTPStatus.NOT_FOUND: TelegramNotFound,
    HTTPStatus.CONFLICT: TelegramConflictError,
    HTTPStatus.UNAUTHORIZED: TelegramUnauthorizedError,
    HTTPStatus.FORBIDDEN: TelegramForbiddenError,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: TelegramEntityTooLarge,
}


@dataclass(frozen=True, slots=True)
class _ModelPlan:
    """How one model class reaches the JSON, as ``model_dump`` would have it.

    ``fields``: (field name, key in the dump) in field order. ``serialized``: the fields
    with a serializer of their own (aiogram's ``DateTime``: a datetime as unix time), which
    only ``model_dump`` renders exactly. ``dump_whole``: the class has a model serializer or
    computed fields, so the whole object goes through ``model_dump``.
    """

    fields: tuple[tuple[str, str], ...]
    serialized: frozenset[str]
    dump_whole: bool


def _has_serializer(annotation: Any) -> bool:
    """True if a ``PlainSerializer``/``WrapSerializer`` sits anywhere in ``annotation``."""
    if typing.get_origin(annotation) is typing.Annotated and any(
        isinstance(item, PlainSerializer | WrapSerializer) for item in annotation.__metadata__
    ):
        return True
    return any(_has_serializer(argument) for argument in typing.get_args(annotation))


def _plan_of(model: type[BaseModel]) -> _ModelPlan:
    by_alias = bool(model.model_config.get("serialize_by_alias", False))
    decorators = model.__pydantic_decorators__
    fields = {name: info for name, info in model.model_fields.items() if not info.exclude}
    serialized = {
        name
        for serializer in decorators.field_serializers.values()
        for name in serializer.info.fields
    }
    serialized.update(
        name
        for name, info in fields.items()
        if any(isinstance(item, PlainSerializer | WrapSerializer) for item in info.metadata)
        or _has_serializer(info.annotation)
    )
    return _ModelPlan(
        fields=tuple(
            (name, (info.serialization_alias or info.alias or name) if by_alias else name)
            for name, info in fields.items()
        ),
        serialized=frozenset(serialized & fields.keys()),
        dump_whole=bool(decorators.model_serializers) or bool(model.model_computed_fields),
    )


class JsonAiohttpSession(AiohttpSession):
    """``AiohttpSession`` (same options) with JSON request bodies and a cheaper per-call path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", orjson.loads)
        kwargs.setdefault("json_dumps", _json_text)
        super().__init__(*args, **kwargs)
        self._response_types: dict[Any, type[Response[Any]]] = {}
        self._model_plans: dict[type[BaseModel], _ModelPlan] = {}

    # Requests ---------------------------------------------------------------------------

    def json_payload(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The method's parameters as one JSON object, or None if it uploads files.

        The same object as aiogram's ``prepare_value`` over ``method.model_dump()`` gives:
        ``Default`` values taken from ``bot.default``, None and empty values left out at the
        top level and None inside, enums as their values, datetimes as aiogram sends them.
        """
        files: dict[str, Any] = {}
        prepared = self._prepared_model(method, bot, files)
        if files:
            return None
        return {key: value for key, value in prepared.items() if value not in _EMPTY_VALUES}

    def _prepared(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """``prepare_value(value, _dumps_json=False)`` on what ``model_dump`` makes of
        ``value``, without dumping first; files found are added to ``files``."""
        kind = type(value)
        if kind in _PLAIN_TYPES:
            return value
        if kind is list:
            return [
                prepared
                for item in value
                if (prepared := self._prepared(item, bot, files)) is not None
            ]
        if kind is dict:
            return {
                key: prepared
                for key, item in value.items()
                if (prepared := self._prepared(item, bot, files)) is not None
            }
        if isinstance(value, BaseModel):
            return self._prepared_model(value, bot, files)
        if kind is Default:
            return self._prepared(bot.default[value.name], bot, files)
        # Input files, enums, datetimes, timedeltas and anything rarer: aiogram's own rules.
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)

    def _prepared_model(self, model: BaseModel, bot: Bot, files: dict[str, Any]) -> dict[str, Any]:
        """``_prepared`` of ``model.model_dump()``, walking the model's fields directly."""
        plan = self._model_plans.get(type(model))
        if plan is None:
            plan = self._model_plans[type(model)] = _plan_of(type(model))
        if plan.dump_whole:
            return cast(
                dict[str, Any], self._prepared(model.model_dump(warnings=False), bot, files)
            )
        values = model.__dict__
        prepared: dict[str, Any] = {}
        for name, key in plan.fields:
            value = values[name]
            if value is None:
                continue
            if name in plan.serialized:
                value = model.model_dump(include={name}, warnings=False)[key]
            if type(value) not in _PLAIN_TYPES:
                value = self._prepared(value, bot, files)
                if value is None:
                    continue
            prepared[key] = value
        if model.__pydantic_extra__:
            for key, item in model.__pydantic_extra__.items():
                if (value := self._prepared(item, bot, files)) is not None:
                    prepared[key] = value
        return prepared

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109  (aiogram's signature)
    ) -> TelegramType:
        payload = self.json_payload(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=orjson.dumps(payload),
                headers=_JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as response:
                raw_result = await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            raise TelegramNetworkError(
                method=method, message=f"{type(error).__name__}: {error}"
            ) from error
        checked = self.check_response(
            bot=bot, method=method, status_code=response.status, content=raw_result
        )
        return cast(TelegramType, checked.result)

    # Responses --------------------------------------------------------------------------

    def response_type(self, returning: Any) -> type[Response[Any]]:
        """``Response[returning]``, built on first use and kept for the session's life."""
        response_type = self._response_types.get(returning)
        if response_type is None:
            response_type = self._response_types[returning] = Response[returning]
        return response_type

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        """aiogram's ``BaseSession.check_response``, with the response type kept."""
        try:
            json_data = self.json_loads(content)
        except Exception as error:  # noqa: BLE001  (the loader is pluggable: any error)
            raise ClientDecodeError("Failed to decode object", error, content) from error
        try:
            response = self.response_type(method.__returning__).model_validate(
                json_data, context={"bot": bot}
            )
        except ValidationError as error:
            raise ClientDecodeError("Failed to deserialize object", error, json_data) from error
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED and response.ok:
            return cast(Response[TelegramType], response)
        raise self._api_error(method, status_code, response)

    @staticmethod
    def _api_error(
        method: TelegramMethod[Any], status_code: int, response: Response[Any]
    ) -> TelegramAPIError:
        """The exception aiogram raises for this refusal."""
        description = cast(str, response.description)
        if parameters := response.parameters:
            if parameters.retry_after:
                return TelegramRetryAfter(
                    method=method, message=description, retry_after=parameters.retry_after
                )
            if parameters.migrate_to_chat_id:
                return TelegramMigrateToChat(
                    method=method,
                    message=description,
                    migrate_to_chat_id=parameters.migrate_to_chat_id,
                )
        if error_type := _STATUS_ERRORS.get(status_code):
            return error_type(method=method, message=description)
        if status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            if "restart" in description:
                return RestartingTelegram(method=method, message=description)
            return TelegramServerError(method=method, message=description)
        return TelegramAPIError(method=method, message=description)
