"""Webhook mode: Telegram POSTs each update to the API, which hands it to the Dispatcher.

The API answers at once and the update is handled in a background task: Telegram
resends an update that is not answered within 60 seconds. Duplicates that still
arrive are skipped by `bot.middlewares.SkipDuplicateUpdates`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import Update
from arq.connections import ArqRedis

from bot.factory import create_bot, create_dispatcher, set_commands
from bot.webhook_contract import PATH
from core.db import SessionMaker
from core.settings import ConfigError, Settings

log = logging.getLogger(__name__)

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DRAIN_SECONDS = 10


def webhook_config(settings: Settings) -> tuple[str, str]:
    """The webhook URL and secret; ConfigError naming the variable when one is missing."""
    secret = settings.telegram.webhook_secret
    if secret is None or not _SECRET.fullmatch(secret.get_secret_value()):
        raise ConfigError(
            "Webhook mode needs QTIME_TELEGRAM__WEBHOOK_SECRET: a random string of 1-256 "
            "letters, digits, _ or - (for example the output of `openssl rand -hex 32`)."
        )
    public_url = (settings.api.public_url or "").rstrip("/")
    if not public_url.startswith(("https://", "http://")):
        raise ConfigError(
            "Webhook mode needs QTIME_API__PUBLIC_URL: the address Telegram can reach this "
            "API at, like https://qtime.fly.dev"
        )
    return public_url + PATH, secret.get_secret_value()


class WebhookFeeder:
    """Checks the secret header and feeds updates to the Dispatcher in the background."""

    def __init__(self, bot: Bot, dispatcher: Dispatcher, url: str, secret: str) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.url = url
        self.secret = secret
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def create(
        cls, settings: Settings, sessionmaker: SessionMaker, redis: ArqRedis
    ) -> WebhookFeeder:
        url, secret = webhook_config(settings)
        return cls(create_bot(settings), create_dispatcher(sessionmaker, redis), url, secret)

    async def register(self) -> None:
        """Point Telegram at us (setWebhook with the secret) and set the command menu."""
        try:
            await self.bot.set_webhook(
                self.url,
                secret_token=self.secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            await set_commands(self.bot)
        except TelegramUnauthorizedError:
            raise ConfigError(
                "Telegram rejected QTIME_TELEGRAM__TOKEN; copy it again from @BotFather"
            ) from None
        except (TelegramAPIError, OSError) as exc:
            # A webhook set by an earlier start keeps working; the API must serve anyway.
            log.error("setWebhook failed", extra={"error": type(exc).__name__})

    def authorized(self, secret: str | None) -> bool:
        return secret is not None and hmac.compare_digest(secret.encode(), self.secret.encode())

    def feed(self, raw: dict[str, Any]) -> None:
        """Start handling one update; raises pydantic's ValidationError on a malformed one."""
        update = Update.model_validate(raw, context={"bot": self.bot})
        task = asyncio.create_task(self.dispatcher.feed_update(self.bot, update))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("update failed", exc_info=task.exception())

    async def close(self) -> None:
        """Let updates in flight finish (briefly), then shut the dispatcher and the bot down."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=DRAIN_SECONDS)
        await self.dispatcher.emit_shutdown(bot=self.bot)
        await self.bot.session.close()
