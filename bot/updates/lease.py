"""The drainer lease: at most one process handles a bot's updates at a time, so one chat's
updates never run in two processes at once and run in the order they were stored."""

from __future__ import annotations

from redis.asyncio import Redis

LEASE_MS = 3000  # a killed holder's lease frees itself after this (a restart takes longer)
RENEW_SECONDS = 1.0

# KEYS: lease. ARGV: holder, ms. Takes a free lease or extends one's own; 1 when held.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    """Held by `holder` while it renews it at least every `RENEW_SECONDS`."""

    def __init__(self, redis: Redis, key: str, holder: str) -> None:
        self.key = key
        self.holder = holder
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    async def hold(self) -> bool:
        """Take or renew the lease; False while another process holds it."""
        return bool(await self._hold(keys=[self.key], args=[self.holder, LEASE_MS]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.holder])
