"""Webhook mode: Telegram POSTs each update to the API, which stores it in the inbox.

The API answers 200 once the update is stored (or was stored before: Telegram redelivers
calls it thinks were lost) and 503 when it cannot store it, so Telegram sends it again.
Every API instance runs a drainer (`bot.updates.drain`); one of them at a time handles
the stored updates, in the background of the HTTP calls.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import Update
from arq.connections import ArqRedis

from bot.factory import create_bot, create_dispatcher, set_commands
from bot.updates.drain import Drainer
from bot.updates.inbox import Inbox
from bot.webhook_contract import PATH
from core.db.engine import SessionMaker
from core.settings import ConfigError, Settings

log = logging.getLogger(__name__)

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
    """Checks the secret header, stores updates in the inbox and drains it in the background."""

    def __init__(
        self, bot: Bot, dispatcher: Dispatcher, inbox: Inbox, url: str, secret: str
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.url = url
        self.secret = secret.encode()
        self._stop = asyncio.Event()
        self._draining: asyncio.Task[None] | None = None

    @classmethod
    def create(
        cls, settings: Settings, sessionmaker: SessionMaker, redis: ArqRedis
    ) -> WebhookFeeder:
        url, secret = webhook_config(settings)
        bot = create_bot(settings)
        dispatcher = create_dispatcher(sessionmaker, redis)
        return cls(bot, dispatcher, Inbox(redis, bot.id), url, secret)

    async def register(self) -> None:
        """Point Telegram at us (setWebhook with the secret), set the command menu, and
        start draining the inbox."""
        await self.dispatcher.emit_startup(bot=self.bot)
        self._draining = asyncio.create_task(
            Drainer(self.bot, self.dispatcher, self.inbox).run(self._stop)
        )
        try:
            await self.bot.set_webhook(
                self.url,
                secret_token=self.secret.decode(),
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

    def authorized(self, headers: Sequence[str]) -> bool:
        """Exactly one secret header, and it is ours (compared in constant time)."""
        if len(headers) != 1 or not _SECRET.fullmatch(headers[0]):
            return False
        return hmac.compare_digest(headers[0].encode(), self.secret)

    @staticmethod
    def parse(raw: Any) -> dict[str, Any]:
        """The update as Telegram sent it; ValueError when it is not one."""
        if not isinstance(raw, dict) or type(raw.get("update_id")) is not int:
            raise ValueError("not a Telegram update")
        Update.model_validate(raw)  # pydantic's ValidationError is a ValueError
        return raw

    async def store(self, update: dict[str, Any]) -> bool:
        """Store one update (a replay is taken as stored); False when the inbox is full.
        Redis errors pass through."""
        taken, _ = await self.inbox.append([update])
        return taken == 1

    async def close(self) -> None:
        """Stop draining (the updates under way finish or stay stored), shut the bot down."""
        self._stop.set()
        if self._draining is not None:
            await self._draining
        await self.dispatcher.emit_shutdown(bot=self.bot)
        await self.bot.session.close()
