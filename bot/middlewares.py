"""Per-update resources handed to handlers as keyword arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from core.db.engine import SessionMaker

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
