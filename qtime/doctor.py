"""`qtime doctor`: one line per dependency, and a non-zero exit if any is broken."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram.exceptions import TelegramAPIError
from aiohttp import ClientError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from core.db.engine import create_engine
from core.db.migrate import alembic_config
from core.settings import AIProvider, ConfigError, Settings
from qtime.embedded_redis import redis_server_binary

Check = Callable[[Settings], Awaitable[str]]
TIMEOUT = 10.0


async def check_database(settings: Settings) -> str:
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise ConfigError(f"no database yet at {path}: `qtime up` makes it, or run `qtime migrate`")
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    backend = "SQLite" if settings.is_sqlite else "PostgreSQL"
    if current != head:
        raise ConfigError(f"{backend} schema is at {current}, expected {head}: run `qtime migrate`")
    return f"{backend}, schema at {head}"


async def check_redis(settings: Settings) -> str:
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=3)
    try:
        info = await client.info("server")
    except (RedisError, OSError):
        if settings.redis.url:
            raise
        return await _embedded_redis_can_start(settings)
    finally:
        await client.aclose()
    where = "configured" if settings.redis.url else "embedded"
    return f"{where} Redis {info.get('redis_version', '?')}"


async def _embedded_redis_can_start(settings: Settings) -> str:
    """What can be checked of an embedded Redis that is not running: its server and folder."""
    binary = redis_server_binary()
    version = await asyncio.create_subprocess_exec(
        binary, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await version.communicate()
    if version.returncode != 0:
        raise ConfigError(f"{binary} does not run: install redis-server or set QTIME_REDIS__URL")
    folder = settings.embedded_redis_socket.parent
    usable = folder if folder.exists() else _nearest_existing(folder)
    if not os.access(usable, os.W_OK | os.X_OK):
        raise ConfigError(f"the embedded Redis cannot write to {usable}; set QTIME_DATA_DIR")
    number = next((w.removeprefix("v=") for w in out.decode().split() if w.startswith("v=")), "?")
    return f"embedded Redis {number}, not running: `qtime up` (or api, bot, worker) starts it"


def _nearest_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


async def check_telegram(settings: Settings) -> str:
    from bot.factory import create_bot

    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return f"@{me.username} at {settings.telegram.api_url}"


async def check_ai(settings: Settings) -> str:
    if settings.ai.provider is AIProvider.local:
        return "local analyser (no network needed)"
    from openai import AsyncOpenAI, OpenAIError

    key = settings.ai.api_key.get_secret_value() if settings.ai.api_key else "unset"
    client = AsyncOpenAI(base_url=settings.ai.base_url, api_key=key, timeout=TIMEOUT, max_retries=0)
    try:
        await client.models.list()
    except OpenAIError as exc:
        raise ConfigError(f"{settings.ai.base_url or 'OpenAI'}: {type(exc).__name__}") from None
    finally:
        await client.close()
    return f"{settings.ai.model} at {settings.ai.base_url or 'api.openai.com'}"


CHECKS: dict[str, Check] = {
    "database": check_database,
    "redis": check_redis,
    "telegram": check_telegram,
    "ai": check_ai,
}
EXPECTED = (ConfigError, SQLAlchemyError, RedisError, OSError, TelegramAPIError, ClientError)


async def run_checks(settings: Settings, write: Callable[[str], object]) -> bool:
    healthy = True
    for name, check in CHECKS.items():
        try:
            detail = await asyncio.wait_for(check(settings), TIMEOUT)
            write(f"ok    {name:<9} {detail}")
        except TimeoutError:
            healthy = False
            write(f"FAIL  {name:<9} no answer within {TIMEOUT:.0f}s")
        except EXPECTED as exc:
            healthy = False
            write(f"FAIL  {name:<9} {_reason(exc)}")
    return healthy


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200] if not isinstance(exc, ConfigError) else text
