"""Fixtures for the production path: a database of its own and `qtime` as processes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_URL, REDIS_URL, SKIP_POSTGRES
from tests.deploy.processes import Qtime, free_port
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

WEBHOOK_SECRET = "deploy-test-secret_0123456789"


async def _admin(sql: str) -> None:
    admin = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    except OSError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc})")
    finally:
        await engine.dispose()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API for a bot of its own: a random bot id keeps this run's update keys
    in Redis apart from those of other test runs sharing the server."""
    token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{DEFAULT_TOKEN.split(':', 1)[1]}"
    async with FakeTelegram(token) as fake:
        yield fake


@pytest.fixture
async def fresh_database(tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database, as the URL `fly postgres attach` hands out (with
    sslmode); a new SQLite file only where QTIME_TEST_SKIP_POSTGRES=1 opts out of PostgreSQL."""
    if SKIP_POSTGRES:
        yield f"sqlite:///{tmp_path / 'qtime.db'}"
        return
    name = f"qtime_deploy_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://", 1)
    yield f"{base}/{name}?sslmode=disable"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def production(
    tmp_path: Path, fresh_database: str, redis: Redis, fake_telegram: FakeTelegram
) -> Qtime:
    """`qtime` configured as on Fly: PostgreSQL, a shared Redis and the webhook mode."""
    port = free_port()
    return Qtime(
        env={
            "QTIME_DATA_DIR": str(tmp_path / "data"),
            "QTIME_DATABASE__URL": fresh_database,
            "QTIME_REDIS__URL": REDIS_URL,
            "QTIME_TELEGRAM__TOKEN": fake_telegram.token,
            "QTIME_TELEGRAM__API_URL": fake_telegram.url,
            "QTIME_TELEGRAM__MODE": "webhook",
            "QTIME_TELEGRAM__WEBHOOK_SECRET": WEBHOOK_SECRET,
            "QTIME_API__HOST": "127.0.0.1",
            "QTIME_API__PORT": str(port),
            "QTIME_API__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "QTIME_LOG_LEVEL": "INFO",
        },
        cwd=tmp_path,
    )
