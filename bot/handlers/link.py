"""Linking a browser: `/start <code>` from the extension's deep link, or `/link` either way.

Wrong codes are counted per Telegram user; after a few, linking pauses for a while, so a
code cannot be guessed by trying.
"""

from __future__ import annotations

import math
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import explain
from bot.identity import sender
from bot.texts import link as texts
from bot.texts import quote
from core.errors import Expired, NotFound
from core.models import User
from core.pairing import PAIRING_TTL, bind_code, create_pairing
from core.ratelimit import FailureLimiter

router = Router(name="link")
GUESSES = 5
GUESS_WINDOW = timedelta(minutes=15)


@router.message(Command("link"))
async def link(message: Message, command: CommandObject, db: AsyncSession, queue: Redis) -> None:
    user = await sender(db, message)
    if command.args:
        await bind(message, db, queue, user, command.args)
        return
    _, code = await create_pairing(db, user=user)
    await db.commit()
    shown = f"{code[:4]}-{code[4:]}"
    ttl = int(PAIRING_TTL.total_seconds() // 60)
    await message.answer(texts.CODE.format(code=shown, minutes=ttl))


async def bind(message: Message, db: AsyncSession, redis: Redis, user: User, code: str) -> None:
    """Bind the extension's code to this user, unless they have guessed too often."""
    limiter = FailureLimiter(redis, "link-code", limit=GUESSES, window=GUESS_WINDOW)
    key = str(user.telegram_id)
    await db.commit()
    wait = await limiter.retry_after(key)
    if wait is not None:
        await message.answer(texts.TOO_MANY.format(minutes=math.ceil(wait / 60)))
        return
    try:
        pairing = await bind_code(db, code, user)
    except (NotFound, Expired) as exc:
        await db.rollback()
        await limiter.failed(key)
        await message.answer(texts.FAILED.format(reason=quote(explain(exc))))
        return
    await db.commit()
    await message.answer(texts.LINKED.format(device=quote(pairing.device_name)))
