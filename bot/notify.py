"""Sending to Telegram the way Telegram wants it. Every bot-initiated message goes through here.

- **429 Too Many Requests**: `RetryAfterMiddleware`, installed on every `Bot` by
  `bot.factory.create_bot`, waits the `retry_after` Telegram names and tries again, so
  handler replies and job sends alike ride out flood control.
- **403 Forbidden** (the user blocked the bot): `Notifier` marks the user inactive and
  drops the message; retrying cannot help.
- **"message is not modified"**: the message already shows what we wanted; ignored.
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

from core.db import SessionMaker, transaction
from core.users import deactivate_chat

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_MODIFIED = "message is not modified"
MAX_WAIT_SECONDS = 60  # longer waits are the caller's to schedule (a job retry)
MAX_ATTEMPTS = 4


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
