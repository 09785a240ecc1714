"""The user's data: /privacy, /export (a JSON document the worker writes) and /forget (after a
confirmation)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import ForgetConfirm
from bot.identity import sender
from bot.texts import data as texts
from core.accounts.erasure import erase_redis, traces
from core.accounts.export import forget_user
from core.accounts.users import get_by_telegram_id
from core.infra import events_bus
from core.infra.queue import queue_export

router = Router(name="data")


@router.message(Command("privacy"))
async def privacy(message: Message) -> None:
    await message.answer(texts.PRIVACY)


@router.message(Command("export"))
async def export(message: Message, db: AsyncSession, queue: ArqRedis) -> None:
    user = await sender(db, message)
    await db.commit()
    preparing = await message.answer(texts.EXPORT_PREPARING)  # before the file can overtake it
    if not await queue_export(queue, user.id):
        await preparing.edit_text(texts.EXPORT_UNAVAILABLE)


@router.message(Command("forget"))
async def forget(message: Message) -> None:
    await message.answer(texts.FORGET_CONFIRM, reply_markup=keyboards.forget_confirm())


@router.callback_query(ForgetConfirm.filter())
async def forget_confirmed(
    callback: CallbackQuery,
    callback_data: ForgetConfirm,
    db: AsyncSession,
    state: FSMContext,
    queue: ArqRedis,
) -> None:
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if not callback_data.confirm:
        await callback.message.edit_text(texts.KEPT)
        return
    user = await get_by_telegram_id(db, callback.from_user.id)
    if user is None:
        await callback.message.edit_text(texts.NOTHING_TO_FORGET)
        return
    found = await traces(db, user)
    counts = await forget_user(db, user.id)
    await db.commit()
    await state.clear()
    await erase_redis(queue, found)
    await events_bus.announce_revoked(queue, user.id)
    await callback.message.edit_text(texts.FORGOT.format(**counts))
