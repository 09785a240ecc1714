"""Users: created from Telegram, found by Telegram id, settings changed in one place."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.models import User


async def upsert_telegram_user(
    db: AsyncSession,
    *,
    telegram_id: int,
    chat_id: int,
    first_name: str = "",
    language: str | None = None,
) -> tuple[User, bool]:
    """Create the user on first contact, or refresh their chat and reactivate them."""
    user = await get_by_telegram_id(db, telegram_id)
    created = user is None
    if user is None:
        user = User(telegram_id=telegram_id, chat_id=chat_id)
        db.add(user)
    user.chat_id = chat_id
    user.first_name = first_name[:128]
    user.language = language
    user.active = True  # they wrote to us, so they have not blocked the bot
    await db.flush()
    return user, created


async def get_by_telegram_id(db: AsyncSession, telegram_id: int) -> User | None:
    result = await db.execute(select(User).where(User.telegram_id == telegram_id))
    return result.scalar_one_or_none()


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def validate_timezone(name: str) -> str:
    """Return the canonical IANA name, or raise InvalidInput."""
    canonical = _zones_by_lower_name().get(name.strip().lower())
    if canonical is None:
        raise InvalidInput(f"unknown time zone {name[:64]!r}; use an IANA name like Europe/Berlin")
    return canonical
