"""Linking a browser: `/start <code>` from the extension's deep link, or `/link` either way.

A code from the extension is never bound at once: the bot names the browser, says what it
will be able to do, and binds only on **Link** (a link someone else made must not pair
their browser with one tap). Wrong codes are counted per Telegram user; after a few,
linking pauses for a while, so a code cannot be guessed by trying.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import PairingConfirm
from bot.handlers.errors import explain
from bot.identity import presser, sender
from bot.texts import link as texts
from bot.texts import quote
from core.accounts.pairing import (
    PAIRING_TTL,
    bind_pairing,
    create_pairing,
    decline_pairing,
    find_code,
)
from core.db.models import User
from core.errors import Expired, NotFound
from core.infra.ratelimit import WindowLimiter

router = Router(name="link")
GUESSES = 5
GUESS_WINDOW = timedelta(minutes=15)


@router.message(Command("link"))
async def link(message: Message, command: CommandObject, db: AsyncSession, queue: Redis) -> None:
    user = await sender(db, message)
    if command.args:
        await ask(message, db, queue, user, command.args)
        return
    _, code = await create_pairing(db, user=user)
    await db.commit()
    shown = f"{code[:4]}-{code[4:]}"
    ttl = int(PAIRING_TTL.total_seconds() // 60)
    await message.answer(texts.CODE.format(code=shown, minutes=ttl))


async def ask(message: Message, db: AsyncSession, redis: Redis, user: User, code: str) -> None:
    """Show which browser the code would link, with **Link** and **Not me**; unless the
    user has guessed too often."""
    limiter = WindowLimiter(redis, "link-code", limit=GUESSES, window=GUESS_WINDOW)
    key = str(user.telegram_id)
    await db.commit()
    wait = await limiter.attempt(key)  # counted before the lookup: parallel guesses count too
    if wait is not None:
        await message.answer(texts.TOO_MANY.format(minutes=math.ceil(wait / 60)))
        return
    try:
        pairing = await find_code(db, code, user)
    except (NotFound, Expired) as exc:
        await db.rollback()
        await message.answer(texts.FAILED.format(reason=quote(explain(exc))))
        return
    await db.commit()
    await limiter.succeeded(key)
    await message.answer(
        texts.CONFIRM.format(device=quote(pairing.device_name)),
        reply_markup=keyboards.pairing_confirm(pairing.id.hex),
    )


@router.callback_query(PairingConfirm.filter())
async def confirmed(
    callback: CallbackQuery, callback_data: PairingConfirm, db: AsyncSession
) -> None:
    user = await presser(db, callback)
    await callback.answer()
    try:
        pairing_id = uuid.UUID(hex=callback_data.pairing)
    except ValueError:
        return  # not a button we made
    if not isinstance(callback.message, Message):
        return
    if not callback_data.link:
        await decline_pairing(db, pairing_id, user)
        await db.commit()
        await callback.message.edit_text(texts.DECLINED)
        return
    try:
        pairing = await bind_pairing(db, pairing_id, user)
    except (NotFound, Expired) as exc:
        await db.rollback()
        await callback.message.edit_text(texts.FAILED.format(reason=quote(explain(exc))))
        return
    await db.commit()
    await callback.message.edit_text(texts.LINKED.format(device=quote(pairing.device_name)))
