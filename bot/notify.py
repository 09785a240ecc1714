"""Sending to Telegram the way Telegram wants it. Every bot-initiated message goes through here.

- **429 Too Many Requests**: `RetryAfterMiddleware`, installed on every `Bot` by
  `bot.factory.create_bot`, waits the `retry_after` Telegram names and tries again, so
  handler replies and job sends alike ride out flood control.
- **403 Forbidden** (the user blocked the bot): `Notifier` marks the user inactive and
  drops the message; retrying cannot help.
- **"message is not modified"**: the message already shows what we wanted; ignored.
- **Telegram's rate limits**: `limit_sends` makes a `Bot` wait for its turn in the send
  budget that all processes share through Redis (`bot.send_limit`); the worker installs
  it, so every message a job sends (reports, "time's up", reminders, an analysis whose
  message is gone) keeps within ≈30 messages/s per bot and 1/s per chat.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Message
from redis.asyncio import Redis

from bot.send_limit import SendLimiter
from core.accounts.users import deactivate_chat
from core.db.engine import SessionMaker, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_MODIFIED = "message is not modified"
MAX_WAIT_SECONDS = 60  # longer waits are the caller's to schedule (a job retry)
MAX_ATTEMPTS = 4
# Methods that post a new message. Edits are left out: Telegram's 30/s and 1/s per chat
# are about sending, and an edit answers something the user just did (an analysis).
LIMITED = ("send", "copy", "forward")


class RetryAfterMiddleware(BaseRequestMiddleware):
    """On 429, wait as long as Telegram asks and send again (a few times, briefly)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= MAX_ATTEMPTS or exc.retry_after > MAX_WAIT_SECONDS:
                    raise
                log.info(
                    "flood control, waiting",
                    extra={"method": method.__api_method__, "retry_after": exc.retry_after},
                )
                await asyncio.sleep(exc.retry_after)
                attempt += 1


class SendLimitMiddleware(BaseRequestMiddleware):
    """Calls that post a message wait for their slot; a 429 on one pauses every sender."""

    def __init__(self, limiter: SendLimiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        name = method.__api_method__
        if chat_id is None or name == "sendChatAction" or not name.startswith(LIMITED):
            return await make_request(bot, method)
        if not self.limiter.take_held(chat_id):
            await self.limiter.acquire(chat_id)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            await self.limiter.pause(chat_id, exc.retry_after)
            raise


def limit_sends(bot: Bot, redis: Redis) -> SendLimiter:
    """Make `bot` respect the shared send budget (inside its 429 retries: each try waits);
    returns the limiter, whose `slot` a caller holds to claim work after its wait."""
    limiter = SendLimiter(redis, bot.id)
    bot.session.middleware(SendLimitMiddleware(limiter))
    return limiter


def is_not_modified(exc: TelegramBadRequest) -> bool:
    return NOT_MODIFIED in exc.message


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Edit a message in place; False when it already read exactly so."""
    try:
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
        )
    except TelegramBadRequest as exc:
        if is_not_modified(exc):
            return False
        raise
    return True


class Notifier:
    """Messages a process sends on its own initiative (jobs), to users who may have left."""

    def __init__(self, bot: Bot, sessionmaker: SessionMaker) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker

    async def deliver(self, chat_id: int, method: TelegramMethod[T]) -> T | None:
        """Call `method` for `chat_id`; None when the user blocked us or nothing changed."""
        try:
            return await self.bot(method)
        except TelegramForbiddenError:
            log.info("user blocked the bot; marking inactive", extra={"chat_id": chat_id})
            async with transaction(self.sessionmaker) as db:
                await deactivate_chat(db, chat_id)
            return None
        except TelegramBadRequest as exc:
            if is_not_modified(exc):
                return None
            raise

    async def send_text(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        return await self.deliver(
            chat_id, SendMessage(chat_id=chat_id, text=text, reply_markup=reply_markup)
        )

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> Message | bool | None:
        return await self.deliver(
            chat_id,
            EditMessageText(
                chat_id=chat_id, message_id=message_id, text=text, reply_markup=reply_markup
            ),
        )
