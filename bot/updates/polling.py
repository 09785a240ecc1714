"""Polling: getUpdates into the inbox, confirming a batch to Telegram only once it is stored.

aiogram's own polling confirms an update when it asks for the next batch, while the
handlers of the last one may still run; a kill then loses them. Here the offset sent
with getUpdates is one past the last update stored in the inbox, so Telegram keeps every
update the inbox does not have yet, and a full inbox simply stops confirming.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.updates.drain import Drainer
from bot.updates.inbox import Inbox
from bot.updates.outage import Outage

log = logging.getLogger(__name__)

POLL_SECONDS = 25  # Telegram holds a getUpdates this long when there is nothing new
FULL_WAIT_SECONDS = 1.0


async def poll(bot: Bot, inbox: Inbox, allowed_updates: list[str]) -> None:
    """Store updates until cancelled; Telegram and Redis outages are waited out."""
    telegram, redis = Outage(log, "Telegram (getUpdates)"), Outage(log, "Redis (update inbox)")
    offset = await _resume(inbox, redis)
    while True:
        request = GetUpdates(offset=offset, timeout=POLL_SECONDS, allowed_updates=allowed_updates)
        try:
            updates = await bot(request, request_timeout=POLL_SECONDS + 10)
            telegram.ok()
        except TelegramUnauthorizedError:
            raise
        except Exception as exc:  # network, 5xx, 409 while another poller stops: all pass
            await asyncio.sleep(telegram.failed(exc))
            continue
        if not updates:
            continue
        raw = [u.model_dump(mode="json", exclude_unset=True, by_alias=True) for u in updates]
        try:
            taken, _ = await inbox.append(raw)
            redis.ok()
        except (RedisError, OSError) as exc:
            await asyncio.sleep(redis.failed(exc))
            continue
        if taken:
            offset = updates[taken - 1].update_id + 1
        if taken < len(updates):
            log.warning("update inbox full; Telegram keeps the rest", extra={"waiting": len(raw)})
            await asyncio.sleep(FULL_WAIT_SECONDS)


async def _resume(inbox: Inbox, outage: Outage) -> int | None:
    while True:
        try:
            offset = await inbox.next_offset()
            outage.ok()
            return offset
        except (RedisError, OSError) as exc:
            await asyncio.sleep(outage.failed(exc))


async def serve_polling(
    bot: Bot, dispatcher: Dispatcher, redis: Redis, stop: asyncio.Event
) -> None:
    """Poll into the inbox and drain it until `stop`; then stop taking updates, let the
    handlers under way finish (the rest stay in the inbox for the next start), shut down."""
    inbox = Inbox(redis, bot.id)
    drainer = Drainer(bot, dispatcher, inbox)
    stopping = asyncio.Event()
    await dispatcher.emit_startup(bot=bot)
    polling = asyncio.create_task(poll(bot, inbox, dispatcher.resolve_used_update_types()))
    draining = asyncio.create_task(drainer.run(stopping))
    try:
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({waiting, polling, draining}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
    finally:
        polling.cancel()
        stopping.set()
        await asyncio.gather(polling, draining, return_exceptions=True)
        await dispatcher.emit_shutdown(bot=bot)
    if not polling.cancelled() and (error := polling.exception()) is not None:
        raise error  # Telegram refused the token
