"""Shared fixtures: real databases (SQLite and PostgreSQL), a real Redis, an arq worker factory.

Services come from the environment (the test command starts what is missing):
- QTIME_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test
- QTIME_TEST_REDIS_URL, default a database 1-15 of redis://127.0.0.1:6379
A missing service fails the tests that need it; QTIME_TEST_SKIP_POSTGRES=1 is the one
documented opt-out, and it drops only the PostgreSQL runs.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.db.base import Base
from core.db.engine import SessionMaker, create_engine, create_sessionmaker
from core.db.migrate import upgrade
from core.settings import Settings, load_settings
from tests.fakes.telegram import DEFAULT_TOKEN as TEST_TOKEN
from tests.redis_claim import EMPTY_KEEPING_LEASE, LEASE_KEY, LEASE_SECONDS, claim_database

pytest_plugins = ["tests.fakes.fixtures"]

# The developer's own configuration must not leak into the tests.
for _name in [n for n in os.environ if n.startswith("QTIME_") and not n.startswith("QTIME_TEST_")]:
    del os.environ[_name]

POSTGRES_URL = os.environ.get(
    "QTIME_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("QTIME_TEST_REDIS_URL") or claim_database()
SKIP_POSTGRES = os.environ.get("QTIME_TEST_SKIP_POSTGRES") == "1"
BACKENDS = ["sqlite"] if SKIP_POSTGRES else ["sqlite", "postgres"]


def _asyncpg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
        "postgres://", "postgresql+asyncpg://", 1
    )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "qtime.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    """A private, migrated PostgreSQL database for this test run."""
    import asyncio

    name = f"qtime_test_{uuid.uuid4().hex[:10]}"
    admin = _asyncpg(POSTGRES_URL)

    async def run(sql: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        except OSError as exc:
            pytest.fail(
                f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}). Start it, set "
                "QTIME_TEST_POSTGRES_URL, or opt out with QTIME_TEST_SKIP_POSTGRES=1."
            )
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(upgrade(url))
    yield url
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        return str(_copy_sqlite(request, tmp_path))
    return _clean_postgres(request)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For the slow end-to-end tests that need a database but not both backends."""
    return str(_copy_sqlite(request, tmp_path))


def _copy_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "data" / "qtime.db"
    target.parent.mkdir(exist_ok=True)
    shutil.copy(template, target)
    return f"sqlite+aiosqlite:///{target}"


def _clean_postgres(request: pytest.FixtureRequest) -> str:
    import asyncio

    url: str = request.getfixturevalue("_postgres_database")

    async def truncate() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            # DELETE, not TRUNCATE: a cascading truncate would take the default host rules too.
            for table in reversed(Base.metadata.sorted_tables):
                keep = " WHERE user_id IS NOT NULL" if table.name == "host_rules" else ""
                await conn.execute(text(f"DELETE FROM {table.name}{keep}"))
        await engine.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def db(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A session whose work the test commits itself, as a handler would."""
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    empty = client.register_script(EMPTY_KEEPING_LEASE)
    try:
        await empty(keys=[LEASE_KEY], args=[LEASE_SECONDS])
    except (RedisError, OSError) as exc:
        pytest.fail(f"Redis is unreachable at {REDIS_URL} ({exc}); set QTIME_TEST_REDIS_URL")
    yield client
    await empty(keys=[LEASE_KEY], args=[LEASE_SECONDS])
    await client.aclose()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test: its own data dir, the test Redis, a fake bot token."""

    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "redis": {"url": REDIS_URL},
            "telegram": {"token": TEST_TOKEN},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        return load_settings(_env_file=None, **base)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, redis: Redis) -> Settings:
    return make_settings(database={"url": database_url})


@pytest.fixture
async def worker_factory(settings: Settings) -> AsyncIterator[Callable[..., Worker]]:
    """arq workers in burst mode, closed after the test (the arq test-suite habit)."""
    from jobs.worker import build_worker

    workers: list[Worker] = []

    def make(**overrides: Any) -> Worker:
        chosen = overrides.pop("settings", settings)
        worker = build_worker(chosen, burst=True, poll_delay=0, **overrides)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.close()
