"""/devices: the linked browsers, and revoking one."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import DeviceRevoke
from bot.identity import presser, sender
from bot.texts import data as texts
from bot.texts import local_time, quote
from core.accounts.devices import list_devices, revoke_device
from core.db.models import Device, User
from core.infra import events_bus

router = Router(name="devices")


@router.message(Command("devices"))
async def devices(message: Message, db: AsyncSession) -> None:
    user = await sender(db, message)
    found = await list_devices(db, user.id)
    await db.commit()
    await message.answer(render(user, found), reply_markup=keyboards.devices(found))


@router.callback_query(DeviceRevoke.filter())
async def revoke(
    callback: CallbackQuery, callback_data: DeviceRevoke, db: AsyncSession, queue: ArqRedis
) -> None:
    user = await presser(db, callback)
    await revoke_device(db, user.id, callback_data.device)
    found = await list_devices(db, user.id)
    await db.commit()
    await events_bus.announce_revoked(queue, user.id, callback_data.device)
    await callback.answer(texts.REVOKED)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(render(user, found), reply_markup=keyboards.devices(found))


def render(user: User, found: list[Device]) -> str:
    if not found:
        return texts.NO_DEVICES
    lines = [
        texts.DEVICE_LINE.format(
            name=quote(device.name),
            seen=local_time(device.last_seen_at, user.timezone)
            if device.last_seen_at
            else texts.NEVER,
        )
        for device in found
    ]
    return texts.DEVICES.format(lines="\n".join(lines))
