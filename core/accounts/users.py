"""Users: created from Telegram, found by Telegram id, settings changed in one place."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import User
from core.errors import InvalidInput


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


def timezone_names() -> list[str]:
    """Every IANA name `validate_timezone` accepts, in order."""
    return sorted(_zones_by_lower_name().values())


def validate_timezone(name: str) -> str:
    """Return the canonical IANA name, or raise InvalidInput."""
    canonical = _zones_by_lower_name().get(name.strip().lower())
    if canonical is None:
        raise InvalidInput(f"unknown time zone {name[:64]!r}; use an IANA name like Europe/Berlin")
    return canonical


async def update_settings(
    db: AsyncSession,
    user: User,
    *,
    timezone: str | None = None,
    report_weekday: int | None = None,
    report_hour: int | None = None,
    track_titles: bool | None = None,
    ai_enabled: bool | None = None,
) -> User:
    """Change the given settings; the others stay as they are."""
    if timezone is not None:
        user.timezone = validate_timezone(timezone)
    if report_weekday is not None:
        if not 0 <= report_weekday <= 6:
            raise InvalidInput("the report day is Monday (0) to Sunday (6)")
        user.report_weekday = report_weekday
    if report_hour is not None:
        if not 0 <= report_hour <= 23:
            raise InvalidInput("the report hour is 0 to 23")
        user.report_hour = report_hour
    if track_titles is not None:
        user.track_titles = track_titles
    if ai_enabled is not None:
        user.ai_enabled = ai_enabled
    await db.flush()
    return user


async def deactivate_chat(db: AsyncSession, chat_id: int) -> None:
    """The user blocked the bot: stop messaging them until they write again."""
    await db.execute(update(User).where(User.chat_id == chat_id).values(active=False))
