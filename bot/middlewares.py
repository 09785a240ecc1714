"""Per-update resources handed to handlers as keyword arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from core.db import SessionMaker


class DbSessionMiddleware(BaseMiddleware):
    """One database transaction per update, committed when the handler returns."""

    def __init__(self, sessionmaker: SessionMaker) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.sessionmaker() as db, db.begin():
            data["db"] = db
            return await handler(event, data)
