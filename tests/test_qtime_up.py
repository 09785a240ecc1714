"""`qtime up` end to end: one command on embedded defaults answers /start in Telegram, and its
worker runs the jobs the chat asks for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

Start = Callable[[], "asyncio.Future[asyncio.subprocess.Process]"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, fake: FakeTelegram, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QTIME_")}
    env.update(
        QTIME_DATA_DIR=str(data_dir),
        QTIME_TELEGRAM__TOKEN=DEFAULT_TOKEN,
        QTIME_TELEGRAM__API_URL=fake.url,
        QTIME_API__PORT=str(_free_port()),
    )
    env.update(extra)
    return env


@pytest.fixture
async def up(tmp_path: Path, fake_telegram: FakeTelegram) -> AsyncIterator[Callable[..., object]]:
    """Starts `qtime up` in a subprocess in an empty folder; stops whatever is left."""
    started: list[asyncio.subprocess.Process] = []

    async def start(**extra: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "qtime", "up",
            cwd=tmp_path,
            env=_env(tmp_path / "data", fake_telegram, **extra),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()
    await _shutdown_embedded_redis(tmp_path / "data" / "redis" / "redis.sock")


async def _shutdown_embedded_redis(sock: Path) -> None:
    if sock.exists():
        client = Redis(unix_socket_path=str(sock))
        with contextlib.suppress(RedisError):  # the server closes the connection as it goes
            await client.shutdown(nosave=True)
        await client.aclose()


def _user_rows(data_dir: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(data_dir / "qtime.db") as conn:
        return conn.execute("SELECT telegram_id, first_name FROM users").fetchall()


async def test_start_is_answered_and_the_user_is_stored(
    up: Callable[..., object], fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    process = await up()  # type: ignore[misc]
    alice = fake_telegram.add_user("Alice")
    fake_telegram.send_message(alice, "/start")

    greeting = await fake_telegram.wait_for_text(alice, "Quality Time", timeout=30)

    assert "Hi Alice" in greeting.content
    rows = await fake_telegram.wait_until(lambda: _user_rows(tmp_path / "data"), timeout=10)
    assert rows == [(alice.id, "Alice")]
    assert fake_telegram.calls_of("setMyCommands"), "the command menu is set at start-up"
    fake_telegram.send_message(alice, "/export")  # a job: the worker runs here too
    exported = await fake_telegram.wait_for_text(alice, "All your Quality Time data", timeout=30)
    assert exported.document is not None
    assert json.loads(exported.document.data)["user"]["telegram_id"] == alice.id

    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert not (tmp_path / "data" / "redis" / "redis.sock").exists(), "embedded Redis stopped"
    assert (tmp_path / "data" / "redis" / "appendonly.aof").exists() or any(
        (tmp_path / "data" / "redis").glob("appendonly*")
    ), "Redis keeps its data in the data dir with AOF on"


async def test_a_crash_does_not_stop_the_next_start(
    up: Callable[..., object], fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    crashed = await up()  # type: ignore[misc]
    alice = fake_telegram.add_user("Alice")
    fake_telegram.send_message(alice, "/start")
    await fake_telegram.wait_for_text(alice, "Quality Time", timeout=30)
    await fake_telegram.wait_until(lambda: _user_rows(tmp_path / "data"), timeout=10)
    crashed.kill()  # no clean shutdown: the embedded Redis and its socket are left behind
    await crashed.wait()

    again = await up()  # type: ignore[misc]
    fake_telegram.send_message(alice, "/start")
    await fake_telegram.wait_for_text(alice, "Welcome back", timeout=30)
    again.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(again.wait(), 30) == 0


async def test_without_a_token_it_explains_how_to_get_one(
    up: Callable[..., object], tmp_path: Path
) -> None:
    process = await up(QTIME_TELEGRAM__TOKEN="")  # type: ignore[misc]
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    text = output.decode()
    assert "BotFather" in text and "QTIME_TELEGRAM__TOKEN" in text
    assert "Traceback" not in text
