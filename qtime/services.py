"""Start-up checks and the parts each command runs, shared by `up` and the single commands."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import uvicorn

from core.settings import ConfigError, Settings
from qtime.embedded_redis import EmbeddedRedis

log = logging.getLogger(__name__)


def ensure_data_dir(settings: Settings) -> Path:
    """The data dir, private to this account, as is every file made from here on (the
    SQLite files with their -wal and -shm, the embedded Redis's dump and append-only file)."""
    os.umask(0o077)
    path = settings.data_dir.resolve()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data dir {path}: {exc.strerror}; set QTIME_DATA_DIR"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(
            f"the data dir {path} is not writable; fix its permissions or set QTIME_DATA_DIR"
        )
    return path


@contextlib.asynccontextmanager
async def redis_available(settings: Settings, *, owner: bool) -> AsyncIterator[None]:
    """Use the configured Redis, or run the embedded one for as long as the command runs.

    The owner (`qtime up`) also shuts down a server left behind by a crashed run.
    """
    if settings.redis.url:
        yield
        return
    ensure_data_dir(settings)
    embedded = EmbeddedRedis(settings.embedded_redis_socket)
    started = await embedded.start()
    try:
        yield
    finally:
        if started or owner:
            await embedded.stop()


async def migrate(settings: Settings) -> None:
    from core.db.migrate import upgrade  # alembic: ~10 MB that only migrating needs

    if settings.is_sqlite:
        ensure_data_dir(settings)
    await upgrade(settings.database_url)


def api_server(settings: Settings) -> uvicorn.Server:
    from tracker_api.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.api.host,
        port=settings.api.port,
        log_config=None,  # our logging setup, not uvicorn's
        # Forwarded headers are read only from QTIME_API__TRUSTED_PROXIES (tracker_api.client).
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the CLI stops every part together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
