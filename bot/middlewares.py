"""Per-update resources handed to handlers as keyword arguments, and update de-duplication."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.db import SessionMaker

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update, committed when the handler returns.

    A handler may commit earlier itself, before it talks to Telegram or Redis, so the
    row is durable before a job is enqueued and no write lock is held over the network.
    """

    def __init__(self, sessionmaker: SessionMaker) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as db:
            data["db"] = db
            result = await handler(event, data)
            await db.commit()
            return result


class SkipDuplicateUpdates(BaseMiddleware):
    """Handle each update_id once: Telegram redelivers an update whose webhook call timed out.

    The first sight of an update sets a Redis key (SET NX) that lives `ttl` seconds, long
    enough to cover Telegram's redelivery. With Redis down, updates pass (nothing else works
    then either: the FSM lives in Redis).
    """

    def __init__(self, redis: Redis, ttl: int = 3600) -> None:
        self.redis = redis
        self.ttl = ttl

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            key = f"qtime:tg:update:{data['bot'].id}:{event.update_id}"
            try:
                first = await self.redis.set(key, 1, nx=True, ex=self.ttl)
            except (RedisError, OSError):
                first = True
            if not first:
                log.info("duplicate update skipped", extra={"update_id": event.update_id})
                return UNHANDLED
        return await handler(event, data)
