"""What the API process holds for its lifetime, opened and closed by the app's lifespan."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiohttp import ClientError

from bot.factory import create_bot
from core.db import SessionMaker, create_reader_sessionmaker
from core.ratelimit import FailureLimiter
from core.resources import Resources
from core.settings import ConfigError, Settings
from core.writer import BatchWriter

log = logging.getLogger(__name__)

REDEEM_FAILURES = 10  # wrong codes per client address...
REDEEM_WINDOW = timedelta(minutes=15)  # ...within this window, then 429
GETME_TIMEOUT = 3  # seconds; a pairing answers without the link rather than wait
GETME_RETRY_SECONDS = 60.0


@dataclass
class BotInfo:
    """The bot's username for deep links: asked once, remembered; retried a minute later."""

    bot: Bot | None
    username: str | None = None
    _failed_at: float = field(default=-GETME_RETRY_SECONDS)

    async def get_username(self) -> str | None:
        if self.username or self.bot is None:
            return self.username
        if time.monotonic() - self._failed_at < GETME_RETRY_SECONDS:
            return None
        try:
            me = await self.bot.get_me(request_timeout=GETME_TIMEOUT)
        except (TelegramAPIError, ClientError, TimeoutError, OSError) as exc:
            log.warning("getMe failed", extra={"error": type(exc).__name__})
            self._failed_at = time.monotonic()
            return None
        self.username = me.username
        return self.username

    async def close(self) -> None:
        if self.bot is not None:
            await self.bot.session.close()


@dataclass
class ApiContext:
    resources: Resources
    reader: SessionMaker  # read-only sessions: never wait for the SQLite write lock
    writer: BatchWriter  # every ingest write goes through it
    redeem_limiter: FailureLimiter
    bot_info: BotInfo

    @classmethod
    async def open(cls, settings: Settings) -> ApiContext:
        resources = Resources.open(settings)
        writer = BatchWriter(resources.sessionmaker, writers=1 if settings.is_sqlite else 4)
        await writer.start()
        try:
            bot: Bot | None = create_bot(settings)
        except ConfigError:
            bot = None  # no token: pairing still works, without the t.me link
        return cls(
            resources=resources,
            reader=create_reader_sessionmaker(resources.engine),
            writer=writer,
            redeem_limiter=FailureLimiter(
                resources.redis, "redeem", limit=REDEEM_FAILURES, window=REDEEM_WINDOW
            ),
            bot_info=BotInfo(bot),
        )

    async def close(self) -> None:
        await self.writer.stop()
        await self.bot_info.close()
        await self.resources.close()
