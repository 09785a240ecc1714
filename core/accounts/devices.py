"""A user's linked browsers: the device behind a token, listing and revoking them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.pairing import digest, live_token
from core.db.base import utcnow
from core.db.models import Device
from core.errors import NotFound


async def authenticate(db: AsyncSession, token: str) -> Device | None:
    """The live device behind a token, or None (unknown or revoked)."""
    result = await db.execute(select(Device).where(live_token(digest(token))))
    return result.scalar_one_or_none()


async def device_live(db: AsyncSession, device_id: int) -> bool:
    """Whether the device is still paired: not revoked, and its user not forgotten."""
    query = select(Device.id).where(Device.id == device_id, Device.revoked_at.is_(None))
    return await db.scalar(query) is not None


async def touch_device(db: AsyncSession, device_id: int, now: datetime) -> None:
    """Record that the device was heard from."""
    device = await db.get(Device, device_id)
    if device is not None:
        device.last_seen_at = now
        await db.flush()


async def list_devices(db: AsyncSession, user_id: int) -> list[Device]:
    result = await db.execute(
        select(Device)
        .where(Device.user_id == user_id, Device.revoked_at.is_(None))
        .order_by(Device.id)
    )
    return list(result.scalars())


async def revoke_device(
    db: AsyncSession, user_id: int, device_id: int, *, now: datetime | None = None
) -> Device:
    device = await db.get(Device, device_id)
    if device is None or device.user_id != user_id or device.revoked_at is not None:
        raise NotFound("no such device")
    device.revoked_at = now or utcnow()
    await db.flush()
    return device
