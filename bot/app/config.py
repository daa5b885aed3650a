"""Settings from the environment and ``.env`` (pydantic-settings).

Every setting is documented in ``.env.example`` and the README. A wrong value stops start-up
with one line naming the setting and what is expected (:func:`load_settings`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.durations import check_interval, parse_duration
from bot.domain.errors import ConfigError
from bot.ingest.fetching.address_guard import AllowList

TELEGRAM_DEFAULT_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    """All of regionews' settings. Field names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_DEFAULT_API_URL
    database_path: Path = Path("data/regionews.sqlite3")
    sources_file: Path = Path("sources.toml")
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    error_chat_id: int | None = None
    alerts_per_minute: int = Field(default=5, ge=1, le=60)
    default_timezone: str = "Europe/Moscow"
    log_level: str = "INFO"
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"

    fetch_timeout: float = Field(default=20.0, gt=0)
    fetch_connect_timeout: float = Field(default=10.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    fetch_concurrency: int = Field(default=20, ge=1, le=500)
    fetch_per_host: int = Field(default=2, ge=1, le=50)
    fetch_allow_private: bool = False
    fetch_allow_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    fetch_user_agent: str = "regionews/0.1 (regional news bot)"
    default_interval: Annotated[int, NoDecode] = 15 * 60
    max_consecutive_errors: int = Field(default=10, ge=1)

    parse_workers: int = Field(default=2, ge=1, le=32)
    parse_timeout: float = Field(default=10.0, gt=0)
    parse_memory_mb: int = Field(default=512, ge=64)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    delivery_rate: float = Field(default=30.0, gt=0, le=1000)
    delivery_paid_broadcast: bool = False
    delivery_paid_rate: float = Field(default=1000.0, gt=0, le=1000)
    delivery_concurrency: int = Field(default=8, ge=1, le=256)
    delivery_retry_deadline: Annotated[int, NoDecode] = 24 * 60 * 60

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
            try:
                return tuple(int(part) for part in parts)
            except ValueError:
                raise ValueError("expected Telegram user ids separated by commas") from None
        return value

    @field_validator("delivery_retry_deadline", mode="before")
    @classmethod
    def _parse_deadline(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_duration(value)
        return value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _split_allowed_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list | tuple):
            AllowList.parse(str(part) for part in value)  # ValueError says which entry
        return value

    @field_validator("default_interval", mode="before")
    @classmethod
    def _parse_interval(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = parse_duration(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return check_interval(value)  # the same rule as a source's interval
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Europe/Moscow") from None
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// address")
        return value.rstrip("/") if value else value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url and not (
            self.webhook_secret and self.webhook_secret.get_secret_value()
        ):
            raise ValueError(
                "WEBHOOK_URL needs WEBHOOK_SECRET (1-256 of A-Z, a-z, 0-9, _ and -), which"
                " Telegram sends back with every update"
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -, 1-256 of them")
        return self

    def fetch_allow_list(self) -> AllowList:
        """``FETCH_ALLOW_HOSTS`` as the address guard takes it."""
        return AllowList.parse(self.fetch_allow_hosts)

    def require_token(self) -> str:
        """The bot token, or a :class:`ConfigError` saying how to set it."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "BOT_TOKEN is not set: put the token from @BotFather into .env or the environment"
            )
        return self.bot_token.get_secret_value().strip()


def setting_variables() -> frozenset[str]:
    """The environment variables regionews reads (e.g. to keep them from a child process)."""
    return frozenset(name.upper() for name in Settings.model_fields)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; turn a validation error into one :class:`ConfigError` line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a check across settings names them in its message
            raise ConfigError(f"Settings: {message}") from None
        name = str(first["loc"][0]).upper()
        given = first.get("input")
        shown = f" (got {given!r})" if isinstance(given, str | int | float) else ""
        raise ConfigError(f"Setting {name}: {message}{shown}") from None
