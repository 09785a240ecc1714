"""Failure counting against guessing: after `limit` failures in `window`, a key is blocked.

Counts live in Redis so every instance sees them; when Redis is unreachable each
process counts on its own, which still slows a guesser down.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

MAX_LOCAL_KEYS = 10_000


class FailureLimiter:
    def __init__(self, redis: Redis, name: str, *, limit: int, window: timedelta) -> None:
        self.redis = redis
        self.name = name
        self.limit = limit
        self.window = int(window.total_seconds())
        self._local: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key: count, expiry

    def _key(self, key: str) -> str:
        return f"qtime:fail:{self.name}:{key}"

    async def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it may try now."""
        try:
            count, ttl = await self._remote(key)
        except (RedisError, OSError):
            count, ttl = self._local_state(key)
        return max(ttl, 1) if count >= self.limit else None

    async def failed(self, key: str) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._key(key))
                pipe.expire(self._key(key), self.window, nx=True)
                await pipe.execute()
        except (RedisError, OSError):
            count, _ = self._local_state(key)
            expiry = self._local.get(key, (0, time.monotonic() + self.window))[1]
            self._local[key] = (count + 1, expiry)
            self._local.move_to_end(key)
            while len(self._local) > MAX_LOCAL_KEYS:
                self._local.popitem(last=False)

    async def _remote(self, key: str) -> tuple[int, int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._key(key))
            pipe.ttl(self._key(key))
            raw, ttl = await pipe.execute()
        return int(raw or 0), int(ttl)

    def _local_state(self, key: str) -> tuple[int, int]:
        count, expiry = self._local.get(key, (0, 0.0))
        left = expiry - time.monotonic()
        if left <= 0:
            self._local.pop(key, None)
            return 0, 0
        return count, math.ceil(left)
