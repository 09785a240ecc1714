"""Rate limits kept in Redis, so every instance sees the same counts.

Each check is one Lua script that counts and decides together (no check-then-count race,
so 60 parallel guesses cannot slip past the limit) and uses only commands Redis 6.2 has:
the embedded Redis is 6.2, and a transaction with a command it lacks aborts silently.
When Redis is unreachable each process counts on its own, which still slows a guesser.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

MAX_LOCAL_KEYS = 10_000

# KEYS[1] the counter; ARGV[1] the window in ms. Answers the count and the ms left.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""
# KEYS[1] the counter: gives back one try that turned out right, never below zero.
_REFUND = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
"""


class WindowLimiter:
    """At most `limit` tries per key in a fixed window; use `attempt` before the work.

    For guessing (codes), call `succeeded` after a right guess: only wrong ones count.
    """

    def __init__(self, redis: Redis, name: str, *, limit: int, window: timedelta) -> None:
        self.redis = redis
        self.name = name
        self.limit = limit
        self.window_ms = int(window.total_seconds() * 1000)
        self._count = redis.register_script(_COUNT)
        self._refund = redis.register_script(_REFUND)
        self._local: OrderedDict[str, tuple[int, float]] = OrderedDict()  # count, expiry

    def _key(self, key: str) -> str:
        return f"qtime:limit:{self.name}:{key}"

    async def attempt(self, key: str) -> int | None:
        """Count one try; seconds to wait if it is over the limit, None if it may go on."""
        try:
            count, left_ms = await self._count(keys=[self._key(key)], args=[self.window_ms])
        except (RedisError, OSError):
            count, left_ms = self._local_count(key)
        if int(count) > self.limit:
            return max(1, math.ceil(int(left_ms) / 1000))
        return None

    async def succeeded(self, key: str) -> None:
        """The try was right: it does not count against the key."""
        try:
            await self._refund(keys=[self._key(key)])
        except (RedisError, OSError):
            count, expiry = self._local.get(key, (0, 0.0))
            if count:
                self._local[key] = (count - 1, expiry)

    def _local_count(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        count, expiry = self._local.get(key, (0, 0.0))
        if expiry <= now:
            count, expiry = 0, now + self.window_ms / 1000
        self._local[key] = (count + 1, expiry)
        self._local.move_to_end(key)
        while len(self._local) > MAX_LOCAL_KEYS:
            self._local.popitem(last=False)
        return count + 1, (expiry - now) * 1000


# KEYS[1] a sorted set of holders scored by lease end; ARGV: now ms, lease ms, limit, holder.
_HOLD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
# Renews a lease still held (ZADD XX: a holder already pruned stays gone).
_RENEW = """
redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


class HoldLimiter:
    """At most `limit` things held at once per key (open streams per device).

    Each holder has a lease its owner renews (`renew`) while it holds; a crashed process's
    holders lapse after one lease instead of blocking the key for good.
    """

    def __init__(self, redis: Redis, name: str, *, limit: int, lease: timedelta) -> None:
        self.redis = redis
        self.name = name
        self.limit = limit
        self.lease_ms = int(lease.total_seconds() * 1000)
        self._hold = redis.register_script(_HOLD)
        self._renew = redis.register_script(_RENEW)
        self._local: dict[str, set[str]] = {}  # while Redis is away

    def _key(self, key: str) -> str:
        return f"qtime:hold:{self.name}:{key}"

    async def acquire(self, key: str, holder: str) -> bool:
        """Whether `holder` may hold one more under `key`; then it must `release`."""
        try:
            args: list[int | str] = [int(time.time() * 1000), self.lease_ms, self.limit, holder]
            return bool(await self._hold(keys=[self._key(key)], args=args))
        except (RedisError, OSError):
            held = self._local.setdefault(key, set())
            if len(held) >= self.limit:
                return False
            held.add(holder)
            return True

    async def renew(self, key: str, holder: str) -> None:
        try:
            args: list[int | str] = [int(time.time() * 1000), self.lease_ms, holder]
            await self._renew(keys=[self._key(key)], args=args)
        except (RedisError, OSError):
            return  # the lease lapses at worst; the holder keeps running

    async def release(self, key: str, holder: str) -> None:
        self._local.get(key, set()).discard(holder)
        try:
            await self.redis.zrem(self._key(key), holder)
        except (RedisError, OSError):
            return  # the lease lapses on its own
