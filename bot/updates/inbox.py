"""The inbox: Telegram updates stored durably between receipt and handling.

It is a Redis stream with one consumer group rather than a database table: receipt
(a webhook call, a getUpdates batch) is one round trip that both stores and
de-duplicates, the consumer group's pending list remembers what a killed process was
handling so another one can claim it (XAUTOCLAIM, Redis 6.2), and the FSM it feeds
already lives in Redis, so a table would add a second service to every update.

Keys, all under `qtime:tg:<bot id>:inbox`:
- the stream: one entry per update waiting or under way (an entry is deleted when acked);
- `:queued`, a hash of the updates in the stream: update_id -> handlings started, and
  `<update_id>:failed` -> handlings that raised;
- `:done`, a sorted set of handled update_ids by time, kept two days (Telegram keeps an
  update for one), written in the same script that acks the entry;
- `:offset`, the highest update_id stored, where polling resumes;
- `:parked`, the dead-letter stream of updates whose handler kept failing;
- `:sent:<update_id>`, the replies sent while handling it (`bot.updates.journal`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import ResponseError

GROUP = "handlers"
MAX_DEPTH = 10_000  # updates waiting; beyond it receipt is refused and Telegram keeps them
DONE_KEPT_SECONDS = 2 * 24 * 3600
PARKED_KEPT = 1000

# KEYS: stream, queued, done, offset. ARGV: max depth, then update_id, payload pairs.
# Returns {updates taken (stored or known), stored}; it stops early when the inbox is full.
_APPEND = """
local depth = redis.call('XLEN', KEYS[1])
local taken, stored = 0, 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if not redis.call('ZSCORE', KEYS[3], id) and redis.call('HEXISTS', KEYS[2], id) == 0 then
    if depth >= tonumber(ARGV[1]) then break end
    redis.call('XADD', KEYS[1], '*', 'update', ARGV[i + 1])
    redis.call('HSET', KEYS[2], id, 0)
    depth = depth + 1
    stored = stored + 1
  end
  if tonumber(id) > tonumber(redis.call('GET', KEYS[4]) or '0') then
    redis.call('SET', KEYS[4], id)
  end
  taken = taken + 1
end
return {taken, stored}
"""
# KEYS: stream, queued, done, parked. ARGV: group, entry id, update_id, now, kept seconds,
# and for parking: payload, reason.
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[3], ARGV[3] .. ':failed')
redis.call('DEL', KEYS[1] .. ':sent:' .. ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[5]))
if ARGV[6] then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'update', ARGV[6], 'reason', ARGV[7])
end
"""


class Tries(NamedTuple):
    started: int  # including those a kill or a stop cut short
    failed: int  # ended with an exception


class Appended(NamedTuple):
    taken: int  # from the start of the batch: stored now or stored before
    stored: int


@dataclass(frozen=True)
class Entry:
    """One update as the inbox holds it."""

    entry_id: str
    update: dict[str, Any]

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


def bot_id_of(token: str) -> int:
    """The bot's id: the part of its token before the colon."""
    return int(token.split(":", 1)[0])


class Inbox:
    """Storing, reading, acking and parking updates of one bot. Redis errors pass through."""

    def __init__(self, redis: Redis, bot_id: int, max_depth: int = MAX_DEPTH) -> None:
        self.redis = redis
        self.max_depth = max_depth
        self.key = f"qtime:tg:{bot_id}:inbox"
        self._append = redis.register_script(_APPEND)
        self._finish = redis.register_script(_FINISH)

    def _keys(self, *suffixes: str) -> list[str]:
        return [self.key + suffix for suffix in suffixes]

    async def append(self, updates: list[dict[str, Any]]) -> Appended:
        """Store `updates` in order, skipping those stored or handled before."""
        args: list[Any] = [self.max_depth]
        for update in updates:
            args += [int(update["update_id"]), json.dumps(update, separators=(",", ":"))]
        keys = self._keys("", ":queued", ":done", ":offset")
        taken, stored = await self._append(keys=keys, args=args)
        return Appended(int(taken), int(stored))

    async def next_offset(self) -> int | None:
        """Where getUpdates resumes: one past the highest update_id stored."""
        last = await self.redis.get(self.key + ":offset")
        return None if last is None else int(last) + 1

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """New entries for `consumer`, oldest first, waiting up to `block_ms` for one."""
        answer = await self.redis.xreadgroup(
            GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
        )
        return [_entry(e) for _, entries in answer or [] for e in entries]

    async def claim(self, consumer: str) -> list[Entry]:
        """Every entry another consumer read but never acked, oldest first, now `consumer`'s.

        Call it only while holding the drainer lease: the other consumers are gone.
        """
        claimed: list[Entry] = []
        cursor: Any = "0-0"
        while True:
            answer = await self.redis.xautoclaim(self.key, GROUP, consumer, 0, cursor, count=100)
            cursor, entries = answer[0], answer[1]
            claimed += [_entry(e) for e in entries if e and e[1]]
            if cursor in (b"0-0", "0-0"):
                break
        await self._forget_idle_consumers(consumer)
        return sorted(claimed, key=lambda e: tuple(map(int, e.entry_id.split("-"))))

    async def _forget_idle_consumers(self, keep: str) -> None:
        for info in await self.redis.xinfo_consumers(self.key, GROUP):
            name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
            if name != keep and not info["pending"]:
                await self.redis.xgroup_delconsumer(self.key, GROUP, name)

    async def start(self, entry: Entry) -> Tries:
        """Count one more start of `entry`'s handling; its tries so far, this one included."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.key + ":queued", str(entry.update_id), 1)
            pipe.hget(self.key + ":queued", f"{entry.update_id}:failed")
            started, failed = await pipe.execute()
        return Tries(int(started), int(failed or 0))

    async def failed(self, entry: Entry) -> None:
        """Count a handling of `entry` that raised."""
        await self.redis.hincrby(self.key + ":queued", f"{entry.update_id}:failed", 1)  # type: ignore[misc]

    async def ack(self, entry: Entry) -> None:
        """The update is handled and its work committed: it leaves the inbox, marked done."""
        await self._finish(
            keys=self._keys("", ":queued", ":done", ":parked"), args=self._args(entry)
        )

    async def park(self, entry: Entry, reason: str) -> None:
        """Move an update that keeps failing to the dead-letter stream, marked done."""
        payload = json.dumps(entry.update, separators=(",", ":"))
        args = [*self._args(entry), payload, reason, PARKED_KEPT]
        await self._finish(keys=self._keys("", ":queued", ":done", ":parked"), args=args)

    def _args(self, entry: Entry) -> list[Any]:
        return [GROUP, entry.entry_id, entry.update_id, time.time(), DONE_KEPT_SECONDS]

    async def depth(self) -> tuple[int, int]:
        """(updates waiting or under way, updates parked)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.key)
            pipe.xlen(self.key + ":parked")
            waiting, parked = await pipe.execute()
        return int(waiting), int(parked)


def _entry(raw: Any) -> Entry:
    entry_id, fields = raw
    name = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    return Entry(name, json.loads(fields[b"update"] if b"update" in fields else fields["update"]))
