"""Settings: defaults, parsing, and one clear line for a wrong value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app.config import Settings, load_settings
from bot.domain.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in (
        "BOT_TOKEN",
        "ADMIN_IDS",
        "FETCH_TIMEOUT",
        "DEFAULT_TIMEZONE",
        "DEFAULT_INTERVAL",
        "FETCH_ALLOW_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_path == Path("data/regionews.sqlite3")
    assert settings.sources_file == Path("sources.toml")
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.default_timezone == "Europe/Moscow"
    assert settings.fetch_max_bytes == 10 * 1024 * 1024
    assert settings.bot_token is None


def test_values_from_the_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("ADMIN_IDS=1, 2;3\nDEFAULT_INTERVAL=1h30m\n", encoding="utf-8")
    monkeypatch.setenv("FETCH_TIMEOUT", "7.5")
    settings = load_settings()
    assert settings.admin_ids == (1, 2, 3)
    assert settings.default_interval == 5400
    assert settings.fetch_timeout == 7.5


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FETCH_TIMEOUT", "abc", "Setting FETCH_TIMEOUT"),
        ("FETCH_TIMEOUT", "-1", "Setting FETCH_TIMEOUT"),
        ("ADMIN_IDS", "alice", "Setting ADMIN_IDS: expected Telegram user ids"),
        ("DEFAULT_TIMEZONE", "Mars/Base", "Setting DEFAULT_TIMEZONE: expected an IANA time zone"),
        ("TELEGRAM_API_URL", "api.telegram.org", "Setting TELEGRAM_API_URL: expected an http"),
        ("DEFAULT_INTERVAL", "soon", "Setting DEFAULT_INTERVAL"),
        ("LOG_LEVEL", "LOUD", "Setting LOG_LEVEL"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_a_missing_token_says_where_to_get_one() -> None:
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set"):
        load_settings().require_token()


def test_a_webhook_needs_a_secret_telegram_can_send_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example")
    with pytest.raises(ConfigError, match="^Settings: WEBHOOK_URL needs WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET may hold only"):
        load_settings()
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_-OK")
    assert load_settings().webhook_url == "https://bot.example"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1s", "Setting DEFAULT_INTERVAL: an interval must be at least 1m"),
        ("59", "Setting DEFAULT_INTERVAL: an interval must be at least 1m"),
        ("31d", "Setting DEFAULT_INTERVAL: «31d» is longer than 30d"),
        ("99999999999999999d", "Setting DEFAULT_INTERVAL: «99999999999999999d» is longer"),
        ("9" * 400, "Setting DEFAULT_INTERVAL: «9999"),
    ],
)
def test_the_default_interval_follows_the_rule_for_a_sources_interval(
    monkeypatch: pytest.MonkeyPatch, value: str, words: str
) -> None:
    monkeypatch.setenv("DEFAULT_INTERVAL", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(words)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("value", "seconds"), [("1m", 60), ("30d", 30 * 86_400)])
def test_the_default_interval_bounds_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: int
) -> None:
    monkeypatch.setenv("DEFAULT_INTERVAL", value)
    assert load_settings().default_interval == seconds


def test_fetch_allow_hosts_takes_names_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", "intranet.local, 10.1.2.0/24,,")
    settings = load_settings()
    assert settings.fetch_allow_hosts == ("intranet.local", "10.1.2.0/24")
    allowed = settings.fetch_allow_list()
    assert allowed.hosts == {"intranet.local"}
    assert [str(network) for network in allowed.networks] == ["10.1.2.0/24"]
    monkeypatch.delenv("FETCH_ALLOW_HOSTS")
    assert not load_settings().fetch_allow_list()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("10.1.2.0/33", "«10.1.2.0/33» is not a network"),
        ("intranet.local, my host", "«my host» is neither a host name nor a network"),
    ],
)
def test_a_wrong_allowed_host_is_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str, words: str
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"Setting FETCH_ALLOW_HOSTS: {words}")


def test_every_setting_is_in_env_example_and_in_the_readme() -> None:
    # The README and .env.example are part of the code: a setting added without them fails.
    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text("utf-8")
    readme = (root / "README.md").read_text("utf-8")
    names = [name.upper() for name in Settings.model_fields]
    missing_example = [n for n in names if not re.search(rf"^#?\s*{n}=", example, re.MULTILINE)]
    missing_readme = [n for n in names if f"`{n}`" not in readme]
    assert (missing_example, missing_readme) == ([], [])
