"""`qtime` commands run as real processes, the way a container or a Fly Machine runs them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
QTIME = BIN / "qtime"
STOP_GRACE = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self) -> int:
        """SIGTERM, as `docker stop` and a Fly deploy send, then the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(f"did not stop on SIGTERM:\n{self.output()}") from None
        assert self.process.returncode is not None
        return self.process.returncode


@dataclass
class Qtime:
    """The `qtime` entry point with one environment, in a directory without a `.env`."""

    env: dict[str, str]
    cwd: Path

    def _environ(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("QTIME_")}
        path = f"{BIN}{os.pathsep}{inherited.get('PATH', '')}"
        return inherited | self.env | {"PATH": path}

    async def run(self, *argv: str, timeout: float = 120.0) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *argv, env=self._environ(), cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
        assert process.returncode is not None
        return process.returncode, out.decode(errors="replace")

    async def command(self, name: str) -> tuple[int, str]:
        return await self.run(str(QTIME), name)

    @contextlib.asynccontextmanager
    async def serving(self, name: str) -> AsyncIterator[Running]:
        """`qtime <name>` in the background, stopped (if still running) on the way out."""
        log = self.cwd / f"qtime-{name}.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                str(QTIME), name, env=self._environ(), cwd=self.cwd, stdout=sink, stderr=sink
            )
            running = Running(process, log)
            try:
                yield running
            finally:
                with contextlib.suppress(AssertionError):
                    await running.stop()


async def wait_for_http(running: Running, url: str, attempts: int = 300) -> httpx.Response:
    """GET `url` until it answers, failing with the process log if the process dies."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        for _ in range(attempts):
            if running.process.returncode is not None:
                raise AssertionError(
                    f"exited with {running.process.returncode}:\n{running.output()}"
                )
            with contextlib.suppress(httpx.TransportError):
                return await client.get(url)
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered:\n{running.output()}")
