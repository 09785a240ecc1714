"""Sending a body far larger than any route accepts, over a raw socket, to see when the
server answers and how much it had to take (an HTTP client would insist on sending it all)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 1024
DRAIN_TIMEOUT = 5.0
EARLY_ANSWER = 1.0


@dataclass
class Answer:
    status: int
    sent: int  # body bytes written before the answer came


async def send_huge(
    url: str, method: str, path: str, size: int, *, declared: bool, headers: dict[str, str]
) -> Answer:
    """`size` bytes of body, announced with Content-Length or chunked; stops at the answer."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    framing = f"Content-Length: {size}" if declared else "Transfer-Encoding: chunked"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", framing]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
    if declared:  # a server that judges by the announced length answers before any body
        await asyncio.wait([answer], timeout=EARLY_ANSWER)
    piece = b"x" * CHUNK
    frame = piece if declared else f"{CHUNK:x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with contextlib.suppress(ConnectionError, TimeoutError):
        while sent < size and not answer.done():
            writer.write(frame)
            await asyncio.wait_for(writer.drain(), DRAIN_TIMEOUT)
            sent += CHUNK
        if not declared and not answer.done():
            writer.write(b"0\r\n\r\n")
    head = await asyncio.wait_for(answer, 10)
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return Answer(int(head.split(b" ", 2)[1]), sent)


class PeakMemory:
    """The highest value `sample()` gave while the block ran, sampled every 20 ms."""

    def __init__(self, sample: Callable[[], int]) -> None:
        self.sample = sample
        self.peak = sample()
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, self.sample())
            await asyncio.sleep(0.02)

    async def __aenter__(self) -> PeakMemory:
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.peak = max(self.peak, self.sample())
