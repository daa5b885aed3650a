"""The event loop choice (``EVENT_LOOP``): uvloop where installed, asyncio's own on request."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.app import event_loop
from bot.app.config import load_settings
from bot.domain.errors import ConfigError


async def _running_loop_name() -> str:
    return event_loop.describe(asyncio.get_running_loop())


def test_auto_and_uvloop_run_on_uvloop_where_it_is_installed() -> None:
    assert event_loop.run(_running_loop_name(), "auto") == "uvloop"
    assert event_loop.run(_running_loop_name(), "uvloop") == "uvloop"


def test_asyncio_keeps_the_standard_loop() -> None:
    assert event_loop.loop_factory("asyncio") is None
    assert event_loop.run(_running_loop_name(), "asyncio") == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as on Windows: the import fails
    assert event_loop.loop_factory("auto") is None
    assert event_loop.run(_running_loop_name(), "auto") == "asyncio"
    with pytest.raises(ConfigError, match="EVENT_LOOP: uvloop is not installed"):
        event_loop.loop_factory("uvloop")


def test_the_setting_accepts_the_three_choices_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_LOOP", "asyncio")
    assert load_settings(_env_file=None).event_loop == "asyncio"
    monkeypatch.setenv("EVENT_LOOP", "trio")
    with pytest.raises(ConfigError, match="^Setting EVENT_LOOP: .*'auto', 'uvloop' or 'asyncio'"):
        load_settings(_env_file=None)
