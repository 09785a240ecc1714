"""Configuration: the documented names, friendly URLs, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import ConfigError, load_settings


def test_defaults_run_on_one_laptop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(_env_file=None)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'qtime.db'}"
    assert settings.redis_url == f"unix://{tmp_path / 'data' / 'redis' / 'redis.sock'}"
    assert (settings.api.host, settings.api.port) == ("127.0.0.1", 8000)
    assert settings.telegram.api_url == "https://api.telegram.org"
    assert settings.ai.provider == "local"


def test_fly_postgres_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTIME_DATABASE__URL", "postgres://qtime:pw@db.internal:5432/qtime")
    assert load_settings(_env_file=None).database_url == (
        "postgresql+asyncpg://qtime:pw@db.internal:5432/qtime"
    )


def test_dotenv_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QTIME_TELEGRAM__MODE=webhook\nQTIME_API__PORT=9001\n")
    settings = load_settings()
    assert settings.telegram.mode == "webhook"
    assert settings.api.port == 9001


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTIME_API__PORT", "eighty")
    with pytest.raises(ConfigError, match=r"QTIME_API__PORT: .*integer.*'eighty'"):
        load_settings(_env_file=None)


def test_secrets_are_not_echoed_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTIME_DATABASE__URL", "mysql://root:hunter2@db/x")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert "QTIME_DATABASE__URL" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(ConfigError, match="BotFather.*QTIME_TELEGRAM__TOKEN"):
        load_settings(_env_file=None).require_token()
