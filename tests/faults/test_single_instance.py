"""One `qtime` per data folder: a second one refuses at once and leaves the first untouched."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.deploy.processes import Qtime, free_port, wait_for_http
from tests.fakes.telegram import FakeTelegram


def _local(tmp_path: Path, fake: FakeTelegram, port: int) -> Qtime:
    """`qtime` on embedded defaults in one data folder: SQLite and the embedded Redis."""
    return Qtime(
        env={
            "QTIME_DATA_DIR": str(tmp_path / "data"),
            "QTIME_TELEGRAM__TOKEN": fake.token,
            "QTIME_TELEGRAM__API_URL": fake.url,
            "QTIME_API__HOST": "127.0.0.1",
            "QTIME_API__PORT": str(port),
        },
        cwd=tmp_path,
    )


async def test_a_second_instance_on_the_same_folder_refuses_and_the_first_goes_on(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    port = free_port()
    first_up = _local(tmp_path, fake_telegram, port)
    async with first_up.serving("up") as first:
        assert (await wait_for_http(first, f"http://127.0.0.1:{port}/healthz")).is_success
        alice = fake_telegram.add_user("Alice")
        fake_telegram.send_message(alice, "/start")
        await fake_telegram.wait_for_text(alice, "Quality Time", timeout=30)

        second = _local(tmp_path, fake_telegram, free_port())
        for command in ("up", "worker", "bot"):
            code, output = await second.command(command)
            lines = output.strip().splitlines()
            assert code == 2, output
            assert lines == [lines[-1]] and f"pid {first.process.pid}" in lines[0], output

        await asyncio.sleep(1)  # what a refused run would have broken, it would have by now
        assert first.process.returncode is None, first.output()
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success
        fake_telegram.send_message(alice, "/start")
        await fake_telegram.wait_for_text(alice, "Welcome back", timeout=30)
        fake_telegram.send_message(alice, "/export")  # a job: the embedded Redis still serves
        await fake_telegram.wait_for_text(alice, "All your Quality Time data", timeout=30)
        assert await first.stop() == 0
    assert "Traceback" not in first.output()
