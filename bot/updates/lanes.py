"""One lane per chat: a chat's work runs in the order it was put, one item at a time,
while different chats run side by side (at most `width` items at once)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Lanes(Generic[Item]):
    """Use `put` to queue an item; `close` lets each lane finish its current item."""

    def __init__(self, work: Callable[[Item], Awaitable[None]], width: int = 64) -> None:
        self.work = work
        self._gate = asyncio.Semaphore(width)
        self._queues: dict[Hashable, deque[Item]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.waiting = 0  # items put and not finished

    def put(self, lane: Hashable, item: Item) -> None:
        self.waiting += 1
        queue = self._queues.get(lane)
        if queue is not None:
            queue.append(item)
            return
        self._queues[lane] = deque([item])
        task = asyncio.create_task(self._run(lane))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, lane: Hashable) -> None:
        queue = self._queues[lane]
        try:
            while queue and not self._closing:
                item = queue[0]
                async with self._gate:
                    if self._closing:
                        break
                    await self.work(item)
                queue.popleft()
                self.waiting -= 1
        finally:
            del self._queues[lane]

    async def close(self, grace: float) -> int:
        """Stop starting items; wait up to `grace` seconds for those under way, then cancel
        them. Returns how many items were never finished (they are handed back)."""
        self._closing = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        for task in set(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return self.waiting

    async def idle(self) -> None:
        """Wait until every item put so far is finished."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
