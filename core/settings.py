"""Configuration: one pydantic-settings model, read from `QTIME_*` variables or `.env`.

Nested sections use `__`, so `QTIME_TELEGRAM__TOKEN` sets `settings.telegram.token`.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url


class ConfigError(Exception):
    """Configuration that cannot work; the message names the variable to set."""


class TelegramMode(StrEnum):
    polling = "polling"
    webhook = "webhook"


class AIProvider(StrEnum):
    local = "local"
    openai = "openai"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class DatabaseSettings(BaseModel):
    url: str | None = Field(None, description="SQLAlchemy URL; SQLite under the data dir if unset")
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        """Accept the URLs hosts hand out (`postgres://`, plain `sqlite:///`) with async drivers."""
        if url is None or not url.strip():
            return None
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return _asyncpg_ssl("postgresql+asyncpg://" + url.removeprefix(prefix))
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return url
        raise ValueError("use a postgres://, postgresql:// or sqlite:/// URL")


def _asyncpg_ssl(url: str) -> str:
    """libpq's `sslmode`, as in the URL `fly postgres attach` sets, is `ssl` to asyncpg."""
    parsed = make_url(url)
    if "sslmode" not in parsed.query:
        return url
    query = dict(parsed.query)
    query["ssl"] = query.pop("sslmode")
    return parsed.set(query=query).render_as_string(hide_password=False)


class RedisSettings(BaseModel):
    url: str | None = Field(None, description="redis:// URL; an embedded Redis if unset")


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    mode: TelegramMode = TelegramMode.polling
    webhook_secret: SecretStr | None = None


def _fly_url() -> str | None:
    """On Fly.io every Machine knows its app's name, and so its public address."""
    app = os.environ.get("FLY_APP_NAME")
    return f"https://{app}.fly.dev" if app else None


class APISettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str | None = Field(default_factory=_fly_url)
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="proxies whose client-address header is believed; none by default",
    )
    client_ip_header: str = Field(
        "X-Forwarded-For", description="where a trusted proxy puts the client; Fly-Client-IP on Fly"
    )
    metrics_token: SecretStr | None = Field(None, description="Bearer token for /metrics")
    event_batches_per_minute: int = Field(
        120, ge=1, description="event batches one device may send a minute; 429 beyond"
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """`10.0.0.0/8, fdaa::/16` as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value


class AISettings(BaseModel):
    provider: AIProvider = AIProvider.local
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout: float = Field(
        20.0, gt=0, le=30, description="seconds per request; fits the analysis job's timeout"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QTIME_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.text
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    telegram: TelegramSettings = TelegramSettings()
    api: APISettings = APISettings()
    ai: AISettings = AISettings()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'qtime.db'}"

    @property
    def embedded_redis_socket(self) -> Path:
        return self.data_dir.resolve() / "redis" / "redis.sock"

    @property
    def redis_url(self) -> str:
        return self.redis.url or f"unix://{self.embedded_redis_socket}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        url = self.database_url
        return Path(url.removeprefix("sqlite+aiosqlite:///")) if self.is_sqlite else None

    def require_token(self) -> str:
        if self.telegram.token is None or not self.telegram.token.get_secret_value():
            raise ConfigError(
                "No Telegram bot token. Create a bot with @BotFather in Telegram "
                "(send /newbot), then set QTIME_TELEGRAM__TOKEN=<the token it gives you> "
                "in the environment or in .env."
            )
        return self.telegram.token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic-settings accepts kwargs
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "QTIME_" + "__".join(str(p) for p in err["loc"]).upper()
            secret = any(w in name for w in ("TOKEN", "KEY", "SECRET", "URL"))
            shown = "" if secret else f" (got {err.get('input')!r})"
            lines.append(f"{name}: {err['msg']}{shown}")
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
