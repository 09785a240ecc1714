"""One Telegram send budget shared by every process through Redis: ≈30 messages/s per bot
and 1/s per chat, the limits Telegram documents for bulk notifications.

Each send reserves a slot in one atomic Lua call, on Redis's clock so that workers on
different machines agree:

- the chat must be free (its last send was at least `chat_interval` ago), else the
  caller is told how long to wait and asks again; nothing is reserved meanwhile, so a
  chat waiting for its turn never holds up the others;
- the bot-wide slot is then the later of now and the next free one, and the next free
  one moves `1 / per_second` on: a queue in Redis that callers join in arrival order
  and leave by sleeping until their slot. Waits stay short because the callers are
  the workers' running jobs, a bounded number.

`pause` pushes both slots back after a 429, so every process honours `retry_after`.
`slot` holds a chat's slot across work that must come after the wait, such as claiming a
weekly report: the first send to that chat inside it uses the slot instead of waiting again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar

from redis.asyncio import Redis

PER_SECOND = 29.5  # just under Telegram's 30/s, leaving room for clock jitter
CHAT_INTERVAL = 1.0
KEY_TTL_MARGIN = 60.0  # seconds a slot outlives its time

_held: ContextVar[str | None] = ContextVar("qtime_send_slot_held", default=None)

_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local chat_free = tonumber(redis.call('GET', KEYS[2]) or '0')
if chat_free > now then
  return {0, tostring(chat_free - now)}
end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl = math.ceil((slot - now + tonumber(ARGV[3])) * 1000)
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'PX', ttl)
redis.call('SET', KEYS[2], tostring(slot + tonumber(ARGV[2])), 'PX', ttl)
return {1, tostring(slot - now)}
"""

_PAUSE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local free = now + tonumber(ARGV[1])
local ttl = math.ceil((tonumber(ARGV[1]) + tonumber(ARGV[2])) * 1000)
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') < free then
    redis.call('SET', key, tostring(free), 'PX', ttl)
  end
end
return 1
"""


class SendLimiter:
    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        *,
        per_second: float = PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
    ) -> None:
        self.interval = 1 / per_second
        self.chat_interval = chat_interval
        self.prefix = f"qtime:tg:send:{bot_id}"
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)

    def _keys(self, chat_id: int | str) -> list[str]:
        return [f"{self.prefix}:bot", f"{self.prefix}:chat:{chat_id}"]

    async def acquire(self, chat_id: int | str) -> float:
        """Wait for this chat's turn and the bot's next slot; returns the seconds waited."""
        waited = 0.0
        while True:
            granted, wait = await self._reserve(
                keys=self._keys(chat_id),
                args=[self.interval, self.chat_interval, KEY_TTL_MARGIN],
            )
            seconds = float(wait)
            if seconds > 0:
                await asyncio.sleep(seconds)
                waited += seconds
            if int(granted):
                return waited

    async def pause(self, chat_id: int | str, seconds: float) -> None:
        """Telegram asked us to wait: no process sends before `seconds` from now."""
        await self._pause(keys=self._keys(chat_id), args=[seconds, KEY_TTL_MARGIN])

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int | str) -> AsyncIterator[None]:
        """Wait for this chat's slot, then hold it for the first send to the chat inside."""
        await self.acquire(chat_id)
        token = _held.set(str(chat_id))
        try:
            yield
        finally:
            _held.reset(token)

    def take_held(self, chat_id: int | str) -> bool:
        """Use the slot `slot` holds for this chat; False when none is held (then acquire)."""
        if _held.get() != str(chat_id):
            return False
        _held.set(None)  # one send per slot: a retry after a 429 waits again
        return True
