"""A Redis database of its own for each test run, so parallel runs never flush each other.

Runs claim databases 1-15 of the test server with a lease key; a lease outlives a
crashed run by at most an hour. Falls back to database 15 when the server is down,
where the tests that need Redis then fail with a clear message.
"""

from __future__ import annotations

import atexit
import os

from redis import Redis
from redis.exceptions import RedisError

LEASE_KEY = "qtime:test-run-lease"
LEASE_SECONDS = 3600


def claim_database(server: str = "redis://127.0.0.1:6379") -> str:
    owner = str(os.getpid())
    for number in range(1, 16):
        client = Redis.from_url(f"{server}/{number}", socket_connect_timeout=1)
        try:
            if client.set(LEASE_KEY, owner, nx=True, ex=LEASE_SECONDS):
                atexit.register(_release, client, owner)
                return f"{server}/{number}"
        except (RedisError, OSError):
            break
        client.close()
    return f"{server}/15"


def _release(client: Redis, owner: str) -> None:
    try:
        if client.get(LEASE_KEY) == owner.encode():
            client.flushdb()
    except (RedisError, OSError):
        pass


# Empties the database but keeps this run's lease, atomically.
EMPTY_KEEPING_LEASE = """
local lease = redis.call('GET', KEYS[1])
redis.call('FLUSHDB')
if lease then redis.call('SET', KEYS[1], lease, 'EX', ARGV[1]) end
return 1
"""
